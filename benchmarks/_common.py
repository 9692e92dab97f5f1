"""Helpers shared by the benchmarks: the machine description, percentiles, the full-corpus
platform (built once, reused) and where results go.

Not a test helper and not part of the package: benchmarks import it as a sibling module
(``sys.path`` holds the script's folder when a benchmark is run as a script).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform as _py_platform
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POETRY_ARCHIVE = SHARED_DATA / "chinese-poetry.tar.xz"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_DATA_DIR = Path("/tmp/wenyuan-bench")


def machine() -> dict[str, str]:
    """nproc, CPU model, RAM, OS and Python, as the benchmark figures are read beside them."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count() or "?"),
        "cpu": cpu,
        "ram": ram,
        "os": f"{_py_platform.system()} {_py_platform.release()}",
        "python": _py_platform.python_version(),
        "date": dt.date.today().isoformat(),
    }


def machine_line() -> str:
    m = machine()
    return (
        f"{m['date']} · {m['nproc']} CPUs ({m['cpu']}) · {m['ram']} RAM · {m['os']} · "
        f"Python {m['python']}"
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    """A latency in milliseconds with sensible precision."""
    if math.isnan(seconds):
        return "–"
    value = seconds * 1000
    return (
        f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"
    )


def pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def open_corpus_platform(data_dir: Path, archive: Path = POETRY_ARCHIVE, *, log=print):  # type: ignore[no-untyped-def]
    """A ``Platform`` on ``data_dir`` holding the chinese-poetry corpus, built only if empty.

    The first run ingests the archive (several minutes); later runs reuse the records. If the
    search index was built by another index schema (the search code changed since), it is
    rebuilt from the stored records, which is much faster than a new ingest.
    """
    from wenyuan.app import Platform
    from wenyuan.core.config import Settings
    from wenyuan.core.errors import StorageError

    settings = Settings(data_dir=data_dir)
    try:
        platform = Platform(settings)
    except StorageError as exc:
        log(f"index unusable ({exc}); rebuilding it from the stored records")
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        platform = Platform(settings)
    records = platform.store.count()
    if records == 0:
        log(f"ingesting {archive} into {data_dir} (one time; several minutes) …")
        started = time.perf_counter()
        report = platform.ingest("chinese-poetry", archive)
        log(f"ingested {report.counts.created} records in {time.perf_counter() - started:.0f} s")
    elif platform.index.count() != records:
        log(f"index holds {platform.index.count()} of {records} records: rebuilding it …")
        started = time.perf_counter()
        platform.reindex()
        log(f"reindexed in {time.perf_counter() - started:.0f} s")
    return platform


def write_result(name: str, text: str) -> Path:
    """Write ``text`` to ``benchmarks/results/<name>-<date>.md`` (git-ignored) and return it."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{dt.date.today().isoformat()}.md"
    path.write_text(text, encoding="utf-8")
    return path
