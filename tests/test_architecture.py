"""The layer rules of DESIGN.md, checked by import-linter on the real package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_linter(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_package_keeps_every_layer_contract() -> None:
    """import-linter finds no forbidden import in wenyuan."""
    result = run_linter(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def copy_project(tmp_path: Path) -> None:
    """The package, the linter's configuration and its own contract types, under tmp_path."""
    shutil.copytree(ROOT / "src" / "wenyuan", tmp_path / "src" / "wenyuan")
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    """A copy of the package where core imports the application fails the check."""
    copy_project(tmp_path)
    errors = tmp_path / "src" / "wenyuan" / "core" / "errors.py"
    errors.write_text(errors.read_text("utf-8") + "\nimport wenyuan.app  # forbidden\n", "utf-8")
    result = run_linter(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "wenyuan.core is not allowed to import wenyuan.app" in result.stdout


def test_a_private_module_imported_from_outside_its_package_is_caught(tmp_path: Path) -> None:
    """A copy where the web UI reaches into the search domain's private analysis module
    fails the check, naming the module and the package it is private to."""
    copy_project(tmp_path)
    pages = tmp_path / "src" / "wenyuan" / "web" / "pages.py"
    pages.write_text(
        pages.read_text("utf-8") + "\nimport wenyuan.search._analysis  # private\n", "utf-8"
    )
    result = run_linter(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "wenyuan.web.pages is not allowed to import" in result.stdout
    assert "wenyuan.search._analysis (private to wenyuan.search)" in result.stdout.replace(
        "\n", " "
    ).replace("  ", " ")


def test_a_private_module_may_be_imported_inside_its_package(tmp_path: Path) -> None:
    """The same import from inside the search package keeps the contract."""
    copy_project(tmp_path)
    backend = tmp_path / "src" / "wenyuan" / "search" / "__init__.py"
    backend.write_text(
        backend.read_text("utf-8") + "\nimport wenyuan.search._analysis  # its own\n", "utf-8"
    )
    result = run_linter(tmp_path, tmp_path / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported only from inside its package KEPT" in result.stdout
