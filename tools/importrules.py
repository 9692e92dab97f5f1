"""Import rules that import-linter's built-in contract types cannot state.

``PrivateModulesContract``: a module whose name starts with one underscore (``_log``) is
private to the package that holds it. Only modules inside that package may import it; from
outside, the package's ``__init__`` is its whole public surface. import-linter's
``forbidden`` contract needs each module listed (its wildcards match whole name segments, not
a leading underscore), so every private module would have to be named again in
``pyproject.toml`` and a new one would be unguarded; this contract finds them in the graph.

It is loaded by ``lint-imports`` through ``contract_types`` in ``pyproject.toml``
(import-linter puts the working directory on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import dataclass

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck

__all__ = ["PrivateModulesContract"]


@dataclass(frozen=True, slots=True)
class _Breach:
    importer: str
    imported: str
    line: int
    text: str


def is_private(module: str) -> bool:
    """Whether the last part of a dotted module name marks it private (``_x``, not ``__x__``)."""
    last = module.rsplit(".", 1)[-1]
    return last.startswith("_") and not last.startswith("__")


def may_import(importer: str, private: str) -> bool:
    """Whether ``importer`` is inside the package that holds the module ``private``."""
    package = private.rsplit(".", 1)[0]
    return importer == package or importer.startswith(package + ".")


class PrivateModulesContract(Contract):
    """No module imports a private module (``_name``) of a package it is not part of."""

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        breaches: list[_Breach] = []
        for module in sorted(graph.modules):
            if not is_private(module):
                continue
            for importer in sorted(graph.find_modules_that_directly_import(module)):
                if may_import(importer, module):
                    continue
                details = graph.get_import_details(importer=importer, imported=module)
                breaches.extend(
                    _Breach(importer, module, d["line_number"], d["line_contents"]) for d in details
                )
                if not details:
                    breaches.append(_Breach(importer, module, 0, "(an import with no details)"))
        return ContractCheck(
            kept=not breaches,
            metadata={"breaches": breaches},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for breach in check.metadata["breaches"]:
            package = breach.imported.rsplit(".", 1)[0]
            output.print_error(
                f"{breach.importer} is not allowed to import {breach.imported} "
                f"(private to {package}):",
                bold=True,
            )
            output.new_line()
            output.indent_cursor()
            output.print_error(f"{breach.importer}:{breach.line}: {breach.text}", bold=False)
            output.new_line()
