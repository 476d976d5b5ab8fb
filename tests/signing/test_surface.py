"""``signing`` is a library: a small public surface in its ``__init__``, and no import of the product."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import signing

ROOT = Path(signing.__file__).resolve().parent
PRODUCT = ("eoffice", "workflows")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or lazily inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_module_of_signing_imports_the_product():
    leaks = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] in PRODUCT)
        for path in ROOT.rglob("*.py")
    }
    assert {path: modules for path, modules in leaks.items() if modules} == {}


@pytest.mark.parametrize("name", signing.__all__)
def test_each_public_name_is_the_object_of_its_module(name):
    module = importlib.import_module(f"signing.{signing._SURFACE[name]}")
    assert getattr(signing, name) is getattr(module, name)


def test_submodules_still_import_and_unknown_names_are_refused():
    from signing import twostep

    assert twostep.prepare and twostep.complete
    with pytest.raises(AttributeError):
        signing.no_such_name  # noqa: B018


def test_importing_signing_does_not_load_pyhanko():
    code = "import sys, signing; assert 'pyhanko' not in sys.modules, 'signing loaded pyHanko'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT.parent)
