"""Docs that must stay true: every setting documented, README's first two commands, the
CLI reference, docstring examples run by the suite, the code the docs and ADRs name."""

from __future__ import annotations

import importlib
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from wenyuan.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    """docs/configuration.md lists each setting by its environment variable."""
    text = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`WENYUAN_{name.upper()}`" in text, name
        assert field.description, f"setting {name} has no description"


def test_readme_starts_with_make_demo_then_make_test() -> None:
    """The README's first two commands are `make demo` and `make test`."""
    readme = (ROOT / "README.md").read_text("utf-8")
    commands = re.findall(r"^\s*(?:\$ )?(make [a-z-]+)", readme, flags=re.MULTILINE)
    assert commands[:2] == ["make demo", "make test"]


def test_cli_reference_matches_help() -> None:
    """docs/cli.md is the current `--help` of every command (regenerate: make docs)."""
    from wenyuan.cli.reference import render

    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == render()


def test_docstring_examples_run_with_the_suite() -> None:
    """pytest collects src/wenyuan with --doctest-modules, and no module holding a `>>>`
    example is left out, so every docstring example runs in `make test`."""
    pytest_config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]
    options = pytest_config["ini_options"]
    assert "src/wenyuan" in options["testpaths"]
    assert "--doctest-modules" in options["addopts"]
    ignored = [a.partition("=")[2] for a in options["addopts"] if a.startswith("--ignore-glob=")]
    with_examples = [
        path.relative_to(ROOT)
        for path in (ROOT / "src" / "wenyuan").rglob("*.py")
        if ">>> " in path.read_text("utf-8")
    ]
    assert len(with_examples) >= 8
    for path in with_examples:
        assert not any(fnmatch(str(path), pattern) for pattern in ignored), path


_CODE_NAME = re.compile(r"`(python -m )?(wenyuan(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_FILE_SUFFIXES = (".db", ".toml", ".json", ".md")
_MAIN_GUARD = re.compile(r'^if __name__ == "__main__":', re.MULTILINE)


def _code_names() -> list[tuple[str, str, bool]]:
    """(document, dotted name, run with ``python -m``) of every `wenyuan.…` module or
    object the docs name."""
    docs = [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "docs" / "adr").glob("*.md"),
    ]
    return sorted(
        (str(doc.relative_to(ROOT)), name, bool(run))
        for doc in docs
        for run, name in set(_CODE_NAME.findall(doc.read_text("utf-8")))
        if not name.endswith(_FILE_SUFFIXES)
    )


def _resolve(name: str) -> object | None:
    """The module of wenyuan, or the object inside one, that ``name`` names (None: none)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return None
            found = getattr(found, attribute)
        return found
    return None


def test_the_code_the_docs_name_exists() -> None:
    """Every `wenyuan.…` module, class or function named in README, docs/ and the ADRs
    exists, and a module shown run with `python -m` has a main guard (an ADR that names a
    module gone since says so in an update, with the new name)."""
    names = _code_names()
    assert len(names) > 10
    missing = [f"{doc}: {name}" for doc, name, _ in names if _resolve(name) is None]
    assert not missing, missing
    for doc, name, run in names:
        if run:
            source = Path(str(getattr(_resolve(name), "__file__", ""))).read_text("utf-8")
            assert _MAIN_GUARD.search(source), f"{doc}: python -m {name} runs nothing"
