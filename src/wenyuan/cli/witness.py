"""``wenyuan ledger witness``: serve a c2sp.org/tlog-witness witness for the logs given.

The command builds the witness from its options (the key file loads, every log vkey parses,
the state folder can be created), prints the witness's cosignature vkey on stdout, the one
line operators of the witnessed logs need, then hands the witness's app
(``wenyuan.api.witness.create_witness_app``) to uvicorn in this process. The guard's limits
come from the settings (``WENYUAN_MAX_BODY_BYTES``, ``WENYUAN_BODY_TIMEOUT``,
``WENYUAN_MAX_CONCURRENT_BODIES``); nothing else passes through the environment.

This is the witness service's composition root, as ``wenyuan.asgi`` is the platform's: the
one place the CLI imports an HTTP app (the layer contract in pyproject.toml names it).

Hazards: the served app holds the witness's private key. Never prints it: only the public
cosignature vkey.
"""

from __future__ import annotations

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
        built = load_witness(key, state, log)
    except WenyuanError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(built.signer.cosignature_verifier().vkey())
    origins = ", ".join(sorted(built.logs))
    typer.echo(
        f"Witness {built.signer.name} serves http://{host}:{port}/add-checkpoint "
        f"for {origins} (state: {state})",
        err=True,
    )

    # The serving shell only: checking the inputs above needs neither the app nor a server.
    import uvicorn

    from wenyuan.api.witness import create_witness_app

    uvicorn.run(
        create_witness_app(built, settings),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )
