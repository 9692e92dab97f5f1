"""What the command says about state left by other processes: killed ingests, a lagging index.

Each test runs the real ``wenyuan`` command (in-process through Typer, or as a process of
its own where it is killed) against a data folder that other real processes use.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from wenyuan.app import Platform
from wenyuan.cli import app
from wenyuan.core.config import Settings, get_settings

runner = CliRunner()
WENYUAN = str(Path(sys.executable).with_name("wenyuan"))


def _runs(engine: sa.Engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        try:
            rows = conn.exec_driver_sql("SELECT status, read FROM ingest_runs").all()
        except sa.exc.OperationalError:
            return []  # not migrated yet
    return [(str(status), int(read)) for status, read in rows]


def test_an_ingest_killed_mid_way_is_listed_interrupted_and_its_records_found(
    data_dir: Path, shared_data: Path
) -> None:
    """An ingest and its whole process group killed mid-way: `ingest --runs` then lists the
    run as interrupted with the counts it had reached, and `search` catches the index up
    with the records it had stored, without an ingest or a server in between."""
    env = {**os.environ, "WENYUAN_DATA_DIR": str(data_dir), "WENYUAN_INGEST_BATCH_SIZE": "200"}
    archive = shared_data / "cmoa-collection.tar.xz"
    process = subprocess.Popen(
        [WENYUAN, "ingest", "cmoa", str(archive), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    engine = sa.create_engine(f"sqlite:///{data_dir / 'wenyuan.db'}")
    try:
        deadline = time.monotonic() + 60
        while not any(status == "running" and read >= 400 for status, read in _runs(engine)):
            assert process.poll() is None, "the ingest ended before it could be killed"
            assert time.monotonic() < deadline, "the ingest never got going"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert _runs(engine)[0][0] == "running"
    finally:
        engine.dispose()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    listed = runner.invoke(app, ["ingest", "--runs", "--json"])
    assert listed.exit_code == 0, listed.output
    (run,) = json.loads(listed.stdout)
    assert (run["status"], run["source"], run["path"]) == ("interrupted", "cmoa", str(archive))
    assert run["read"] >= 400
    assert run["created"] > 0
    assert run["noticed_at"]
    assert run["finished_at"] is None
    plain = runner.invoke(app, ["ingest", "--runs"])
    assert "interrupted" in plain.stdout
    assert "cmoa" in plain.stdout

    found = runner.invoke(app, ["search", "", "--json", "--limit", "1"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["total"] == run["created"]
    assert "behind" not in found.stderr


_HOLDER = """
import sys
from wenyuan.app import Platform
from wenyuan.core.config import Settings
from wenyuan.search import IndexDocument
platform = Platform(Settings(data_dir={data_dir!r}))
with platform.replica.lock(0):
    # Hold tantivy's writer too, as a server's follower does while it applies changes.
    platform.index.add([IndexDocument(id="r-held", type="poem", source="test", titles=["x"])])
    print("held", flush=True)
    sys.stdin.readline()
platform.close()
"""


@contextmanager
def index_held_elsewhere(data_dir: Path) -> Iterator[None]:
    """Another process holds the data folder's index (its sync lock and tantivy's writer)."""
    script = textwrap.dedent(_HOLDER).format(data_dir=str(data_dir))
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.stdout.close()
        assert holder.wait(timeout=30) == 0


def _records_not_yet_indexed(data_dir: Path) -> int:
    """Load the sample, then delete some of it behind the index's back; returns how many."""
    platform = Platform(Settings(data_dir=data_dir))
    try:
        platform.load_sample()
        poems = platform.list_records(type="poem", limit=30).records
        deleted = platform.store.delete([r.id for r in poems])
        assert platform.index_lag() == deleted > 0
        return deleted
    finally:
        platform.close()


def test_search_catches_the_index_up_first(data_dir: Path) -> None:
    """Changes the index lacks are applied before searching: deleted records are gone."""
    _records_not_yet_indexed(data_dir)
    result = runner.invoke(app, ["search", "", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    platform = Platform(Settings(data_dir=data_dir))
    try:
        assert json.loads(result.stdout)["total"] == platform.store.count()
        assert platform.index_lag() == 0
    finally:
        platform.close()
    assert "behind" not in result.stderr


def test_search_beside_a_process_holding_the_index_says_how_far_behind(data_dir: Path) -> None:
    """While another process holds the index's writer, search neither fails nor hangs: it
    says by how many changes the index is behind and searches it as it is."""
    deleted = _records_not_yet_indexed(data_dir)
    with index_held_elsewhere(data_dir):
        started = time.monotonic()
        result = runner.invoke(app, ["search", "", "--json", "--limit", "1"])
        assert time.monotonic() - started < 5
    assert result.exit_code == 0, result.output
    assert f"{deleted:,} changes behind" in result.stderr
    assert json.loads(result.stdout)["total"] > 0


def test_search_far_behind_says_so_without_catching_up(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Further behind than WENYUAN_SEARCH_CATCH_UP_MAX, search says so and leaves the
    catching up to a server or the next ingest."""
    deleted = _records_not_yet_indexed(data_dir)
    monkeypatch.setenv("WENYUAN_SEARCH_CATCH_UP_MAX", str(deleted - 1))
    get_settings.cache_clear()
    result = runner.invoke(app, ["search", "月"])
    assert result.exit_code == 0, result.output
    assert f"{deleted:,} changes behind" in result.stderr
