"""The platform's use cases end to end: ingest with the background indexer, catch-up, reindex."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenyuan.app import Platform, _indexer
from wenyuan.core.config import Settings
from wenyuan.core.errors import InvalidInput


def test_ingest_with_the_background_indexer_indexes_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the indexer runs in a second process, every record is indexed and searchable."""
    monkeypatch.setattr(_indexer, "START_AFTER", 10)
    settings = Settings(data_dir=tmp_path, ingest_batch_size=25)
    platform = Platform(settings)
    try:
        report = platform.load_sample()
        assert report.counts.created >= 300
        assert report.indexed == report.counts.created
        assert platform.index.count() == platform.store.count()
        assert platform.store.watermark(platform.search_consumer) == platform.store.last_seq()
        assert platform.search("床前明月光", limit=1).hits[0].record.labels["zh-Hans"] == "静夜思"
    finally:
        platform.close()


def test_reingest_writes_and_indexes_nothing(fresh_platform: Platform) -> None:
    """Loading the same collection again reports every record unchanged and indexes nothing."""
    first = fresh_platform.load_sample()
    second = fresh_platform.load_sample()
    assert second.counts.unchanged == first.counts.created
    assert (second.counts.created, second.counts.updated, second.indexed) == (0, 0, 0)


def test_lost_index_is_rebuilt_from_the_feed(tmp_path: Path) -> None:
    """If the index folder is lost, the next platform replays the change feed into it."""
    settings = Settings(data_dir=tmp_path)
    platform = Platform(settings)
    platform.load_sample()
    count = platform.store.count()
    platform.close()
    import shutil

    shutil.rmtree(settings.index_dir)
    reopened = Platform(settings)
    try:
        assert reopened.index_lag() == reopened.store.last_seq()
        assert reopened.sync_index() == count
        assert reopened.index.count() == count
    finally:
        reopened.close()


def test_reindex_rebuilds_the_same_index(fresh_platform: Platform) -> None:
    """Reindexing from the records gives the same documents and the same top hit."""
    fresh_platform.load_sample()
    before = fresh_platform.search("明月", limit=5)
    assert fresh_platform.reindex() == fresh_platform.store.count()
    fresh_platform.index.refresh()
    after = fresh_platform.search("明月", limit=5)
    assert after.total == before.total
    assert [h.record.id for h in after.hits] == [h.record.id for h in before.hits]


def test_unknown_source_is_invalid_input(fresh_platform: Platform, tmp_path: Path) -> None:
    """Asking for a source nobody wrote an adapter for names the known ones."""
    with pytest.raises(InvalidInput, match="chinese-poetry"):
        fresh_platform.ingest("marc21", tmp_path)


def test_a_script_without_a_main_guard_can_ingest(tmp_path: Path) -> None:
    """A plain script calling Platform.ingest (no __main__ guard) runs the background indexer
    once, and the index ends complete."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "load.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from wenyuan.app import Platform, _indexer
            from wenyuan.core.config import Settings
            _indexer.START_AFTER = 10
            platform = Platform(Settings(data_dir=Path({str(tmp_path / "data")!r}),
                                         ingest_batch_size=25))
            report = platform.load_sample()
            print(report.counts.created, report.indexed, platform.index.count())
            platform.close()
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    created, indexed, count = (int(x) for x in result.stdout.splitlines()[-1].split())
    assert created == indexed == count
    assert created >= 300


def test_readiness_allows_a_small_lag_only_after_a_catch_up(tmp_path: Path) -> None:
    """Once the index has caught up since opening, a lag within ready_max_index_lag is still
    ready; a platform that has not caught up yet is not ready with any lag."""
    settings = Settings(data_dir=tmp_path, ready_max_index_lag=3)
    platform = Platform(settings)
    try:
        platform.load_sample()
        assert platform.ready().ok
        poems = platform.list_records(type="poem", limit=4).records
        platform.store.delete([r.id for r in poems[:3]])
        assert (platform.ready().ok, platform.ready().index_lag) == (True, 3)
        platform.store.delete([poems[3].id])
        assert (platform.ready().ok, platform.ready().index_lag) == (False, 4)
    finally:
        platform.close()
    reopened = Platform(settings.model_copy(update={"ready_max_index_lag": 5000}))
    try:
        assert not reopened.ready().ok
        reopened.sync_index()
        assert reopened.ready().as_dict() == {
            "status": "ready",
            "checks": {"database": True, "index": True, "index_current": True},
            "index_lag": 0,
        }
    finally:
        reopened.close()


def test_each_index_folder_keeps_its_own_watermark(settings: Settings, tmp_path: Path) -> None:
    """Two index folders on one database: one catching up says nothing about the other."""
    first = Platform(settings)
    second = Platform(settings.model_copy(update={"data_dir": tmp_path / "second"}))
    try:
        first.load_sample()
        assert first.search_consumer != second.search_consumer
        assert first.index_lag() == 0
        assert second.index_lag() == second.store.last_seq() > 0
        assert second.sync_index() == second.store.last_seq()
        second.index.refresh()
        assert second.index.count() == first.index.count()
    finally:
        first.close()
        second.close()
