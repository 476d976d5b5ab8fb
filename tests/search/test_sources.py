"""``search`` is a library; each app registers its own search source, and the archive knows neither kind."""

from __future__ import annotations

import ast
from pathlib import Path

import search
from search import indexing

ROOT = Path(search.__file__).resolve().parent
EOFFICE = ROOT.parent / "eoffice"
PRODUCT = ("eoffice", "workflows")
# The search page, its API and its URLs are the web layer's; they are leaving this package (issue 12).
WEB_LAYER = {"views.py", "api.py", "urls.py"}


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module a file imports, at the top or lazily inside a function (relative imports resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            names.add(".".join(part for part in (base, node.module or "") if part))
    return names


def test_no_module_of_search_imports_the_product():
    leaks = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path, "search") if m.split(".")[0] in PRODUCT)
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).as_posix() not in WEB_LAYER
    }
    assert {path: modules for path, modules in leaks.items() if modules} == {}


def test_the_archive_imports_neither_incoming_nor_outgoing():
    archive = EOFFICE / "archive"
    leaks = {}
    for path in archive.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        package = "eoffice.archive." + ".".join(path.relative_to(archive).parent.parts)
        modules = imported_modules(path, package.rstrip("."))
        leaks[str(path.relative_to(archive))] = sorted(
            m for m in modules if m.startswith(("eoffice.incoming", "eoffice.outgoing"))
        )
    assert {path: modules for path, modules in leaks.items() if modules} == {}


def test_each_document_kind_is_registered_by_its_own_app_in_a_stable_order():
    registered = {source.kind: source for source in indexing.sources()}
    assert list(registered) == ["incoming", "outgoing"]  # the reindex order (its checkpoints rely on it)
    assert registered["incoming"].build.__module__ == "eoffice.incoming.indexing"
    assert registered["outgoing"].build.__module__ == "eoffice.outgoing.indexing"
    assert [(s.prefix, s.label) for s in registered.values()] == [("in", "Văn bản đến"), ("out", "Văn bản đi")]
