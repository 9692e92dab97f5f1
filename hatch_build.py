"""Build hook: the wheel carries the web UI's compiled gettext catalogs.

Compiled catalogs (``.mo``) are build output and git ignores them, so hatchling would leave
them out of a wheel. This hook compiles each ``locale/<lang>/LC_MESSAGES/messages.po`` of
the source tree into the wheel, so ``pip install .`` gives pages that have their words.
An editable install (``make``) reads the catalogs in place, compiled there by ``make``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("src/wenyuan/web/locale")
PACKAGE_LOCALE = "wenyuan/web/locale"


class CatalogsBuildHook(BuildHookInterface):
    """Compile the catalogs into a temporary folder and include them in the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self._compiled = Path(tempfile.mkdtemp(prefix="wenyuan-catalogs-"))
        for po in sorted((Path(self.root) / LOCALE).glob("*/LC_MESSAGES/*.po")):
            relative = po.relative_to(Path(self.root) / LOCALE).with_suffix(".mo")
            mo = self._compiled / relative
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=relative.parts[0])
            errors = [(m.id, e) for m, errs in catalog.check() for e in errs]
            if errors:
                raise ValueError(f"{po} has errors: {errors}")
            with mo.open("wb") as target:
                write_mo(target, catalog)
            build_data["force_include"][str(mo)] = f"{PACKAGE_LOCALE}/{relative.as_posix()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            shutil.rmtree(compiled, ignore_errors=True)
