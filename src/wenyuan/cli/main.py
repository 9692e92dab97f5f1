"""``wenyuan`` commands: demo, serve, ingest, search, dates, reindex, stats.

Each command parses its options, calls one application function and prints the result;
a ``WenyuanError`` becomes one clear line on stderr and exit code 1 (2 for bad usage).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from wenyuan.app import IngestReport, Platform
from wenyuan.app.limits import MAX_INGEST_RUNS
from wenyuan.core.config import Settings, get_settings
from wenyuan.core.errors import WenyuanError
from wenyuan.core.logging import configure_logging
from wenyuan.resources import RunCounts
from wenyuan.resources.dates import parse_date
from wenyuan.search import FACETS

__all__ = ["app", "main"]

app = typer.Typer(
    name="wenyuan",
    help="Wenyuan (文渊): cultural resources with Chinese-first search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(no_args_is_help=True)
dates_app = typer.Typer(help="Dates as museums and catalogues write them.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(dates_app, name="dates")

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
HostOpt = Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")]
PathArg = Annotated[Path, typer.Argument(help="A folder, a .zip or a .tar.xz.")]
ReparseOpt = Annotated[
    bool,
    typer.Option(
        "--reparse",
        help="Parse the input even if it is unchanged since the last complete run "
        "(same bytes, mapping and Wenyuan version), which is otherwise skipped.",
    ),
]


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return settings


@contextmanager
def _platform() -> Iterator[Platform]:
    platform = Platform(_settings())
    try:
        yield platform
    finally:
        platform.close()


def _fail(exc: WenyuanError) -> NoReturn:
    err.print(f"[red]error:[/red] {exc.detail}", highlight=False)
    raise typer.Exit(1)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# -- serve / demo ---------------------------------------------------------------------------


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    host = host or settings.host
    port = port or settings.port
    err.print(f"Wenyuan is serving on http://{host}:{port}  (data: {settings.data_dir})")
    # By import string: the CLI never imports the web or API layers itself.
    uvicorn.run(
        "wenyuan.asgi:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


@app.command()
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Serve the web UI and the API.

    Example: wenyuan serve --port 8000
    """
    _serve(_settings(), host, port)


@app.command()
def demo(host: HostOpt = None, port: PortOpt = None) -> None:
    """Load the built-in sample collection, then serve the web UI and the API.

    Example: wenyuan demo --host 127.0.0.1 --port 8000
    """
    settings = _settings()
    try:
        with _platform() as platform:
            report = platform.load_sample()
            platform.ledger.open()
            statements = platform.load_ledger_sample()
    except WenyuanError as exc:
        _fail(exc)
    err.print(
        f"Sample collection: {report.counts.read} read, {report.counts.created} created, "
        f"{report.counts.unchanged} unchanged; {statements} sample ledger statements."
    )
    _serve(settings, host, port)


# -- ingest ---------------------------------------------------------------------------------


@ingest_app.callback(invoke_without_command=True)
def ingest_main(
    ctx: typer.Context,
    runs: Annotated[
        bool,
        typer.Option(
            "--runs",
            help="List the newest ingest runs: state (running, done, failed, interrupted), "
            "source, path, counts, start, end and report.",
        ),
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=MAX_INGEST_RUNS, help="Runs to list.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Load a collection as its publisher ships it: wenyuan ingest SOURCE PATH.

    Runs killed mid-way are marked interrupted the next time Wenyuan opens the database.

    Example: wenyuan ingest --runs --json
    """
    if ctx.invoked_subcommand is not None:
        if runs:
            err.print("[red]error:[/red] --runs lists runs; it takes no SOURCE PATH")
            raise typer.Exit(2)
        return
    if not runs:
        out.print(ctx.get_help())
        raise typer.Exit(0)
    try:
        with _platform() as platform:
            found = platform.ingest_runs(limit)
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json([run.as_dict() for run in found])
        return
    if not found:
        out.print("No ingest runs yet.")
    for run in found:
        c = run.counts
        if run.finished_at is not None:
            ended = f"ended {_moment(run.finished_at)}"
        elif run.noticed_at is not None:
            last = f", last sign of life {_moment(run.heartbeat_at)}" if run.heartbeat_at else ""
            ended = f"noticed interrupted {_moment(run.noticed_at)}{last}"
        else:
            ended = f"running as {run.owner or '?'}"
        out.print(f"#{run.id}  {run.status}  {run.source}  {run.path}", highlight=False)
        out.print(
            f"    read {c.read:,} · created {c.created:,} · updated {c.updated:,} · "
            f"unchanged {c.unchanged:,} · rejected {c.rejected:,}",
            highlight=False,
        )
        out.print(f"    started {_moment(run.started_at)} · {ended}", highlight=False)
        if run.report_path:
            out.print(f"    rejected records: {run.report_path}", highlight=False)


def _moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _run_ingest(
    source: str, path: Path, as_json: bool, mapping: Path | None = None, reparse: bool = False
) -> None:
    try:
        with _platform() as platform:
            report = _with_progress(platform, source, path, mapping, quiet=as_json, reparse=reparse)
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json(report.as_dict())
        return
    c = report.counts
    table = Table(title=f"{source}: {path}", show_header=False)
    for label, value in (
        ("read", c.read),
        ("created", c.created),
        ("updated", c.updated),
        ("unchanged", c.unchanged),
        ("rejected", c.rejected),
        ("indexed", report.indexed),
        ("seconds", f"{report.seconds:.1f}"),
        ("records/s", f"{c.read / report.seconds:,.0f}" if report.seconds else "-"),
    ):
        table.add_row(label, str(value))
    out.print(table)
    if report.report_path:
        out.print(f"Rejected records are listed in {report.report_path}")
    if report.index_lag:
        out.print(
            f"The search index is {report.index_lag:,} changes behind: another process "
            "updating it (a server on this data folder) applies them."
        )


def _with_progress(
    platform: Platform,
    source: str,
    path: Path,
    mapping: Path | None,
    *,
    quiet: bool,
    reparse: bool = False,
) -> IngestReport:
    if quiet or not err.is_terminal:
        last = [0]

        def log_counts(counts: RunCounts) -> None:
            if counts.read - last[0] >= 50_000:
                last[0] = counts.read
                err.print(f"read {counts.read:,} (rejected {counts.rejected:,})", highlight=False)

        return platform.ingest(
            source,
            path,
            mapping=mapping,
            progress=None if quiet else log_counts,
            reparse=reparse,
        )
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        reading = bar.add_task("reading", total=None, detail="")
        indexing = bar.add_task("indexing", total=None, detail="", visible=False)

        def on_read(counts: RunCounts) -> None:
            bar.update(
                reading,
                completed=counts.read,
                detail=f"{counts.read:,} read · {counts.rejected:,} rejected",
            )

        def on_index(done: int) -> None:
            bar.update(indexing, visible=True, completed=done, detail=f"{done:,} indexed")

        return platform.ingest(
            source,
            path,
            mapping=mapping,
            progress=on_read,
            index_progress=on_index,
            reparse=reparse,
        )


def _ingest_command(source: str, doc: str) -> Callable[..., None]:
    def command(path: PathArg, as_json: JsonOpt = False, reparse: ReparseOpt = False) -> None:
        _run_ingest(source, path, as_json, reparse=reparse)

    command.__doc__ = doc
    return command


for _name, _doc in (
    (
        "chinese-poetry",
        "The chinese-poetry corpus (全唐诗, 宋词, 元曲, 诗经, 楚辞 …).\n\n"
        "Example: wenyuan ingest chinese-poetry chinese-poetry.tar.xz",
    ),
    (
        "tate",
        "Tate's collection data (artworks and artists JSON).\n\n"
        "Example: wenyuan ingest tate tate-collection.tar.xz",
    ),
    (
        "cmoa",
        "Carnegie Museum of Art collection (one JSON per object).\n\n"
        "Example: wenyuan ingest cmoa cmoa-collection.tar.xz",
    ),
    (
        "dc-xml",
        "Dublin Core XML: OAI-PMH responses or oai_dc documents.\n\n"
        "Example: wenyuan ingest dc-xml harvest/",
    ),
    (
        "sample",
        "The built-in sample collection (PATH: its folder).\n\n"
        "Example: wenyuan ingest sample src/wenyuan/resources/sample",
    ),
):
    ingest_app.command(_name)(_ingest_command(_name, _doc))


@ingest_app.command("csv")
def ingest_csv(
    path: PathArg,
    mapping: Annotated[Path, typer.Option(help="TOML file mapping columns to record fields.")],
    as_json: JsonOpt = False,
    reparse: ReparseOpt = False,
) -> None:
    """A CSV file, with a TOML mapping from its columns to record fields.

    Example: wenyuan ingest csv artist_data.csv --mapping docs/examples/tate-artists.mapping.toml
    """
    _run_ingest("csv", path, as_json, mapping, reparse)


# -- search, dates, reindex, stats ----------------------------------------------------------


def _within_search_limit(limit: int) -> int:
    """``--limit`` as the settings allow it: at most ``Settings.max_search_limit``."""
    largest = get_settings().max_search_limit
    if limit > largest:
        raise typer.BadParameter(f"{limit} is more than {largest} (WENYUAN_MAX_SEARCH_LIMIT).")
    return limit


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words, a poem line, pinyin or English.")],
    limit: Annotated[
        int,
        typer.Option(
            min=1,
            callback=_within_search_limit,
            help="Hits to show (at most WENYUAN_MAX_SEARCH_LIMIT).",
        ),
    ] = 10,
    facet: Annotated[
        list[str] | None,
        typer.Option(help="Filter NAME=VALUE (type, dynasty, creator, source); repeatable."),
    ] = None,
    year_from: Annotated[int | None, typer.Option(help="Overlapping years from.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Overlapping years to.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the collection.

    Changes not yet in the search index are applied first when there are few of them
    (WENYUAN_SEARCH_CATCH_UP_MAX); otherwise a note says how far behind the index is.

    Example: wenyuan search 床前明月光 --facet type=poem --limit 5
    """
    filters: dict[str, list[str]] = {}
    for item in facet or []:
        name, sep, value = item.partition("=")
        if not sep or not value:
            err.print(f"[red]error:[/red] --facet expects NAME=VALUE, got {item!r}")
            raise typer.Exit(2)
        filters.setdefault(name, []).append(value)
    try:
        with _platform() as platform:
            # Apply what the index lacks first, if that takes a moment and nobody else is at
            # it (a server on the same data folder brings it up to date itself).
            lag = platform.catch_up(platform.settings.search_catch_up_max)
            if lag > 0:
                err.print(
                    f"note: the search index is {lag:,} changes behind the records; results "
                    "may miss them (a running server, or the next ingest, catches it up)",
                    highlight=False,
                )
            page = platform.search(
                query,
                limit=limit,
                filters=filters,
                year_from=year_from,
                year_to=year_to,
                facets=FACETS if as_json else (),
            )
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json(
            {
                "query": page.query,
                "total": page.total,
                "hits": [
                    {
                        "id": h.record.id,
                        "score": round(h.score, 4),
                        "type": h.record.type,
                        "title": h.record.title(),
                        "labels": h.record.labels,
                        "creators": [c.name for c in h.record.creators],
                        "dynasty": h.record.dynasty,
                        "source": h.record.source,
                    }
                    for h in page.hits
                ],
                "facets": {
                    k: [{"value": f.value, "count": f.count} for f in v]
                    for k, v in page.facets.items()
                },
            }
        )
        return
    out.print(f"{page.total:,} results for {query!r}", highlight=False)
    for number, hit in enumerate(page.hits, 1):
        r = hit.record
        who = f" · {r.creators[0].name}" if r.creators else ""
        out.print(f"{number:>3}. {r.title()}  [dim]{r.type}{who} · {r.id}[/dim]", highlight=False)


@dates_app.command("parse")
def dates_parse(
    text: Annotated[str, typer.Argument(help="A date as written: 乾隆五十年, 'c. 1850' …")],
    as_json: JsonOpt = False,
) -> None:
    """Parse a date into earliest and latest years (BCE years are negative).

    Example: wenyuan dates parse 乾隆五十年 --json
    """
    try:
        span = parse_date(text)
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json(span.as_dict())
    else:
        out.print(f"{span.label}: {span.earliest} – {span.latest}", highlight=False)


@app.command()
def reindex() -> None:
    """Rebuild the search index from the stored records.

    Example: wenyuan reindex
    """
    try:
        with _platform() as platform:
            done = platform.reindex()
    except WenyuanError as exc:
        _fail(exc)
    out.print(f"Indexed {done:,} records.")


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """How many records there are, by source, and how many are indexed.

    Example: wenyuan stats --json
    """
    try:
        with _platform() as platform:
            data = platform.stats()
    except WenyuanError as exc:
        _fail(exc)
    if as_json:
        _print_json(data)
    else:
        out.print(data)


def main() -> None:
    app()
