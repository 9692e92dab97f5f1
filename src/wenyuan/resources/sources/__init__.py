"""Source adapters by name: what ``wenyuan ingest NAME PATH`` can read.

Adapters are imported when asked for, so a source's parser costs nothing until it is used.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from wenyuan.core.errors import InvalidInput
from wenyuan.resources.sources._base import Item, Rejected, SourceAdapter

__all__ = ["SOURCE_NAMES", "Item", "Rejected", "SourceAdapter", "make_adapter"]

#: name → (module, class) of each adapter.
_ADAPTERS = {
    "chinese-poetry": ("chinese_poetry", "ChinesePoetrySource"),
    "tate": ("tate", "TateSource"),
    "cmoa": ("cmoa", "CmoaSource"),
    "csv": ("csv_mapping", "CsvSource"),
    "dc-xml": ("dc_xml", "DublinCoreSource"),
    "sample": ("sample", "SampleSource"),
}
SOURCE_NAMES = tuple(_ADAPTERS)


def make_adapter(name: str, *, mapping: Path | None = None) -> SourceAdapter:
    """The adapter called ``name``; ``csv`` needs a ``mapping`` file and only it takes one."""
    if name not in _ADAPTERS:
        raise InvalidInput(
            f"unknown source {name!r}; known sources: {', '.join(SOURCE_NAMES)}", source=name
        )
    module_name, class_name = _ADAPTERS[name]
    module = import_module(f"wenyuan.resources.sources.{module_name}")
    if name == "csv":
        if mapping is None:
            raise InvalidInput("the csv source needs --mapping MAPPING.toml", source=name)
        adapter: SourceAdapter = module.CsvSource(module.load_mapping(mapping))
        return adapter
    if mapping is not None:
        raise InvalidInput(f"--mapping is only for the csv source, not {name!r}", source=name)
    built: SourceAdapter = getattr(module, class_name)()
    return built
