"""Each package's public surface: a sorted ``__all__`` whose names all exist."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "wenyuan.core",
    "wenyuan.resources",
    "wenyuan.resources.dates",
    "wenyuan.resources.sources",
    "wenyuan.search",
    "wenyuan.ledger",
    "wenyuan.app",
    "wenyuan.api",
    "wenyuan.web",
    "wenyuan.cli",
]


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


def test_resources_surface() -> None:
    """The resources domain offers the record model, the store and ingest."""
    import wenyuan.resources as resources

    assert {"Record", "RecordStore", "ingest", "make_adapter", "MIGRATIONS"} <= set(
        resources.__all__
    )
