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


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    """A copy of the package where core imports the application fails the check."""
    shutil.copytree(ROOT / "src" / "wenyuan", tmp_path / "src" / "wenyuan")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    errors = tmp_path / "src" / "wenyuan" / "core" / "errors.py"
    errors.write_text(errors.read_text("utf-8") + "\nimport wenyuan.app  # forbidden\n", "utf-8")
    result = run_linter(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "wenyuan.core is not allowed to import wenyuan.app" in result.stdout
