"""``wenyuan ledger witness``: serve a c2sp.org/tlog-witness witness for the logs given.

The command checks its inputs (the key file loads, every log vkey parses, the state folder
can be created), prints the witness's cosignature vkey on stdout, the one line operators of
the witnessed logs need, then serves ``wenyuan.asgi:create_witness_app`` with uvicorn, passing
the options through ``WENYUAN_WITNESS_*`` environment variables.

Hazards: sets those environment variables in its own process (uvicorn builds the app from
them). Never prints the private key: only the public cosignature vkey.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from wenyuan.core.config import get_settings
from wenyuan.core.errors import WenyuanError
from wenyuan.core.logging import configure_logging
from wenyuan.ledger import load_witness

__all__ = ["witness"]

KeyOpt = Annotated[
    Path,
    typer.Option(
        "--key",
        help="The witness's signer key file (mode 0600); create it with "
        "'wenyuan keys new PATH --name NAME'.",
    ),
]
StateOpt = Annotated[
    Path,
    typer.Option(
        "--state", help="Folder of the cosigned checkpoints and evidence (created if missing)."
    ),
]
LogOpt = Annotated[
    list[str],
    typer.Option(
        "--log",
        help="A log to witness: its vkey, or a .pub file holding it; repeatable.",
    ),
]
HostOpt = Annotated[str, typer.Option(help="Address to bind.")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


def witness(
    key: KeyOpt,
    state: StateOpt,
    log: LogOpt,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8800,
) -> None:
    """Serve a witness that cosigns the checkpoints of the given logs (c2sp.org/tlog-witness).

    Prints the witness's cosignature vkey first: give it to each log's operator. Logs POST
    to http://HOST:PORT/add-checkpoint. Create the witness key once, named after the
    witness, with: wenyuan keys new witness.key --name witness.example/w1

    Example: wenyuan ledger witness --key witness.key --state witness-state --log log.pub
    """
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    try:
        checked = load_witness(key, state, log)
    except WenyuanError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(checked.signer.cosignature_verifier().vkey())
    origins = ", ".join(sorted(checked.logs))
    typer.echo(
        f"Witness {checked.signer.name} serves http://{host}:{port}/add-checkpoint "
        f"for {origins} (state: {state})",
        err=True,
    )
    os.environ["WENYUAN_WITNESS_KEY"] = str(key.resolve())
    os.environ["WENYUAN_WITNESS_STATE"] = str(state.resolve())
    os.environ["WENYUAN_WITNESS_LOGS"] = "\n".join(_absolute(entry) for entry in log)

    import uvicorn  # the serving shell only: checking inputs above needs no server

    uvicorn.run(
        "wenyuan.asgi:create_witness_app",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


def _absolute(entry: str) -> str:
    """A key file entry as an absolute path (uvicorn may reload elsewhere); vkeys unchanged."""
    entry = entry.strip()
    return str(Path(entry).resolve()) if os.path.isfile(entry) else entry
