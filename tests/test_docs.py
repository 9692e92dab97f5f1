"""Docs that must stay true: every setting documented, README's first two commands, the
CLI reference, docstring examples run by the suite."""

from __future__ import annotations

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
