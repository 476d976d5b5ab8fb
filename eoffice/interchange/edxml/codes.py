"""Code tables of edXML (priorities, document types, steering types, statuses, business kinds).

Public implementations of QCVN 102:2016 disagree on some of these tables, so they are data, not literals in
code: the defaults ship as JSON files in ``data/`` and every function that needs a table takes a ``CodeTables``
argument, which an administrator-editable model can later build with ``CodeTables.from_mappings``.

The program needs to know what some codes *mean* (status "arrived", "refused"...; steering type "not a directive"
...) whatever their code and label in a given implementation: such entries carry a fixed ``meaning`` key
(:data:`MEANINGS`), and the program asks a table for the code of a meaning (:meth:`CodeTable.code_for`) or the
meaning of a code (:meth:`CodeTable.meaning_of`), never for a literal code. Labels, additional codes and the code
that carries a meaning are data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

TABLE_NAMES = ("priorities", "document_types", "steering_types", "statuses", "business_kinds")

#: Status meanings (QCVN 102:2016 status messages), with the label used in error messages and the admin.
STATUS_MEANINGS = {
    "arrived": "Đã đến",
    "refused": "Từ chối tiếp nhận",
    "accepted": "Đã tiếp nhận",
    "waiting_assignment": "Chờ phân công xử lý",
    "assigned": "Đã phân công, đang xử lý",
    "done": "Đã hoàn thành",
    "recall": "Thu hồi văn bản",
    "recall_agreed": "Đồng ý thu hồi/cập nhật",
    "recall_declined": "Từ chối thu hồi/cập nhật",
}
#: Steering type meanings (SteeringType); ``not_steering`` is what a document without a steering notion sends.
STEERING_MEANINGS = {
    "not_steering": "Không phải văn bản chỉ đạo",
    "steering": "Văn bản chỉ đạo",
    "steering_report": "Báo cáo thực hiện chỉ đạo",
}
#: The fixed meanings the program relies on, per table.
MEANINGS: dict[str, dict[str, str]] = {"statuses": STATUS_MEANINGS, "steering_types": STEERING_MEANINGS}


class MissingCode(Exception):
    """A table has no code for a meaning the program needs (an administrator removed or changed that row).

    ``reason_vi`` says which table and meaning, for the outbound journal. (Not an ``EdxmlRefused``: the message is
    fine, our own configuration is not; callers turn it into the refusal or failure that fits.)
    """

    def __init__(self, table: str, title: str, meaning: str) -> None:
        label = MEANINGS.get(table, {}).get(meaning, meaning)
        self.table, self.meaning = table, meaning
        self.reason_vi = (f"Bảng mã edXML «{title}» không còn mã nào mang nghĩa «{label}» ({meaning}): quản trị "
                          f"cần khôi phục dòng này hoặc gán nghĩa «{label}» cho một mã trong bảng mã edXML.")
        super().__init__(f"missing_code: {self.reason_vi}")


@dataclass(frozen=True)
class CodeEntry:
    """One code of a table, with its Vietnamese name and optional extra attributes (e.g. abbreviation)."""

    code: str
    name: str
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def meaning(self) -> str:
        """The fixed meaning the program knows this code by ("" for codes that are only data)."""
        return self.extra.get("meaning", "")


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

    def by_meaning(self, meaning: str) -> CodeEntry | None:
        """The entry carrying ``meaning`` (the first, in table order), or None."""
        return next((entry for entry in self.entries if meaning and entry.meaning == meaning), None)

    def code_for(self, meaning: str) -> str:
        """The code that carries ``meaning``; raises :class:`MissingCode` when no row carries it any more."""
        entry = self.by_meaning(meaning)
        if entry is None:
            raise MissingCode(self.name, self.title, meaning)
        return entry.code

    def meaning_of(self, code: object) -> str:
        """The meaning of ``code`` ("" when unknown or only data)."""
        entry = self.get(code)
        return entry.meaning if entry else ""


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
    def from_mappings(cls, tables: Mapping[str, Iterable[tuple[str, ...]] | Mapping[str, str]]) -> CodeTables:
        """Build tables from plain ``{table: {code: name}}`` data, or ``(code, name)`` / ``(code, name, meaning)``
        tuples (what the administrator's rows provide).

        Tables that are not given keep the packaged defaults. Given as ``{code: name}`` or pairs, a code that the
        packaged table knows keeps its packaged meaning.
        """
        defaults = default_code_tables()
        built: dict[str, CodeTable] = {}
        for name in TABLE_NAMES:
            if name not in tables:
                built[name] = getattr(defaults, name)
                continue
            pairs = tables[name]
            items = pairs.items() if isinstance(pairs, Mapping) else pairs
            default = getattr(defaults, name)
            entries = []
            for item in items:
                code, label = str(item[0]), str(item[1])
                meaning = str(item[2]) if len(item) > 2 else default.meaning_of(code)
                entries.append(CodeEntry(code=code, name=label, extra={"meaning": meaning} if meaning else {}))
            built[name] = CodeTable(name=name, title=default.title, entries=tuple(entries))
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
