"""Code tables of edXML (priorities, document types, steering types, statuses, business kinds).

Public implementations of QCVN 102:2016 disagree on some of these tables, so they are data, not literals in
code: the defaults ship as JSON files in ``data/`` and every function that needs a table takes a ``CodeTables``
argument, which an administrator-editable model can later build with ``CodeTables.from_mappings``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

TABLE_NAMES = ("priorities", "document_types", "steering_types", "statuses", "business_kinds")


@dataclass(frozen=True)
class CodeEntry:
    """One code of a table, with its Vietnamese name and optional extra attributes (e.g. abbreviation)."""

    code: str
    name: str
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeTable:
    """An ordered code → entry table. Codes are compared as strings exactly as they travel in the XML."""

    name: str
    title: str
    entries: tuple[CodeEntry, ...]

    def __post_init__(self) -> None:
        codes = [entry.code for entry in self.entries]
        if len(codes) != len(set(codes)):
            raise ValueError(f"code table {self.name!r} has duplicate codes")

    def __contains__(self, code: object) -> bool:
        return any(entry.code == str(code) for entry in self.entries)

    def __iter__(self) -> Iterator[CodeEntry]:
        return iter(self.entries)

    def codes(self) -> list[str]:
        """The codes in table order."""
        return [entry.code for entry in self.entries]

    def get(self, code: object) -> CodeEntry | None:
        """The entry for ``code`` (int or str), or None when the table does not know it."""
        wanted = str(code)
        for entry in self.entries:
            if entry.code == wanted:
                return entry
        return None

    def label(self, code: object) -> str:
        """The Vietnamese name of ``code``, or the code itself when unknown (never raises: used for display)."""
        entry = self.get(code)
        return entry.name if entry else str(code)


def table_from_data(data: Mapping[str, Any]) -> CodeTable:
    """Build a table from the JSON shape ``{"table", "title", "entries": [{"code", "name", ...}]}``."""
    entries = []
    for raw in data["entries"]:
        extra = {k: str(v) for k, v in raw.items() if k not in ("code", "name")}
        entries.append(CodeEntry(code=str(raw["code"]), name=str(raw["name"]), extra=extra))
    return CodeTable(
        name=str(data["table"]), title=str(data.get("title", data["table"])), entries=tuple(entries)
    )


@dataclass(frozen=True)
class CodeTables:
    """The set of tables the codec consults."""

    priorities: CodeTable
    document_types: CodeTable
    steering_types: CodeTable
    statuses: CodeTable
    business_kinds: CodeTable

    @classmethod
    def from_mappings(cls, tables: Mapping[str, Iterable[tuple[str, str]] | Mapping[str, str]]) -> CodeTables:
        """Build tables from plain ``{table: {code: name}}`` data (what an admin model would provide).

        Tables that are not given keep the packaged defaults.
        """
        defaults = default_code_tables()
        built: dict[str, CodeTable] = {}
        for name in TABLE_NAMES:
            if name not in tables:
                built[name] = getattr(defaults, name)
                continue
            pairs = tables[name]
            items = pairs.items() if isinstance(pairs, Mapping) else pairs
            built[name] = CodeTable(
                name=name,
                title=getattr(defaults, name).title,
                entries=tuple(CodeEntry(code=str(c), name=str(n)) for c, n in items),
            )
        return cls(**built)


def load_code_table(name: str) -> CodeTable:
    """Load one packaged default table by name (one of ``TABLE_NAMES``)."""
    if name not in TABLE_NAMES:
        raise KeyError(name)
    text = resources.files(__package__).joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    return table_from_data(json.loads(text))


@lru_cache(maxsize=1)
def default_code_tables() -> CodeTables:
    """The packaged defaults (cached: the files do not change while the process runs)."""
    return CodeTables(**{name: load_code_table(name) for name in TABLE_NAMES})
