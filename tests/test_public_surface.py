"""Each package's public surface: ``__all__`` is exactly what the package exports.

A package's ``__init__`` is its whole public surface (docs/architecture.md): its ``__all__``
is sorted, every name in it exists, every public object the package defines is in it, and
every name that code outside the package imports from it is in it.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import wenyuan

ROOT = Path(__file__).resolve().parents[1]


def packages() -> list[str]:
    """Every package of wenyuan but the migration folders."""
    found = [
        info.name
        for info in pkgutil.walk_packages(wenyuan.__path__, "wenyuan.")
        if info.ispkg and not info.name.endswith(".migrations")
    ]
    return sorted(found)


PACKAGES = packages()


def defined_here(module: ModuleType, name: str, value: object) -> bool:
    """Whether ``value`` is a public object that ``module``'s package itself defines."""
    if name.startswith("_") or isinstance(value, ModuleType):
        return False
    home = getattr(value, "__module__", None)
    package = module.__name__
    return isinstance(home, str) and (home == package or home.startswith(package + "."))


def imports_from_outside(package: str) -> dict[str, set[str]]:
    """name → the files outside ``package`` (in src and tests) that import it from it."""
    inside = ROOT / "src" / Path(*package.split("."))
    found: dict[str, set[str]] = {}
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        if path.is_relative_to(inside):
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == package and not node.level:
                for alias in node.names:
                    found.setdefault(alias.name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_package_is_listed() -> None:
    """The walk finds the domains and interfaces, so the checks below cover them."""
    assert {"wenyuan.core", "wenyuan.ledger", "wenyuan.search", "wenyuan.app"} <= set(PACKAGES)


def isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (the order ruff's RUF022 keeps)."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    """``__all__`` is sorted, and every name in it can be imported."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=isort_key)
    for item in exported:
        assert hasattr(module, item), f"{name}.{item} is listed but missing"


@pytest.mark.parametrize("name", PACKAGES)
def test_all_holds_every_public_object_the_package_defines(name: str) -> None:
    """A class or function the package defines and shows without ``_`` is in ``__all__``:
    nothing is exported by accident, nothing is hidden by omission."""
    module = importlib.import_module(name)
    unlisted = sorted(
        item
        for item, value in vars(module).items()
        if defined_here(module, item, value) and item not in module.__all__
    )
    assert unlisted == [], f"{name} shows {unlisted} without listing them in __all__"


@pytest.mark.parametrize("name", PACKAGES)
def test_what_others_import_is_in_all(name: str) -> None:
    """Code outside the package imports from it only the names its ``__all__`` lists (a
    submodule imported by name is allowed here; import-linter rules on private ones)."""
    module = importlib.import_module(name)
    outside = imports_from_outside(name)
    reaching = {
        item: sorted(files)
        for item, files in outside.items()
        if item not in module.__all__ and not isinstance(getattr(module, item, None), ModuleType)
    }
    assert reaching == {}, f"imported from {name} but not in its __all__: {reaching}"


def test_resources_surface() -> None:
    """The resources domain offers the record model, the store and ingest."""
    import wenyuan.resources as resources

    assert {"Record", "RecordStore", "ingest", "make_adapter", "MIGRATIONS"} <= set(
        resources.__all__
    )
