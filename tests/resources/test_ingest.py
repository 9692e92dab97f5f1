"""The ingest pipeline: batches, rejections with reasons, idempotence, nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from wenyuan.core.db import create_engine, migrate
from wenyuan.resources import (
    MIGRATIONS,
    Provenance,
    Record,
    RecordStore,
    Rejected,
    TimeSpan,
    ingest,
)


class ListSource:
    """A real adapter over a list: what a source yields, in order."""

    name = "list"

    def __init__(self, items: list[Record | Rejected]) -> None:
        self.items = items

    def read(self, path: Path) -> Iterator[Record | Rejected]:
        yield from self.items


def record(n: int, **changes: object) -> Record:
    fields: dict[str, object] = {
        "source": "list",
        "source_id": f"r{n}",
        "type": "poem",
        "labels": {"zh-Hans": f"诗{n}"},
        "provenance": Provenance(source="list", file="list.json", position=str(n)),
    }
    fields.update(changes)
    return Record(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(database_url: str) -> Iterator[RecordStore]:
    engine = create_engine(database_url)
    migrate(engine, [MIGRATIONS])
    yield RecordStore(engine)
    engine.dispose()


def test_bad_records_are_reported_and_the_rest_of_the_batch_lands(
    store: RecordStore, tmp_path: Path
) -> None:
    """Invalid records go to the report with file, position and reason; valid ones land."""
    items: list[Record | Rejected] = [
        record(1),
        record(2, type="spaceship"),
        Rejected("list", "list.json", "3", "invalid JSON at line 1"),
        record(4, time=TimeSpan(text="x", earliest=900, latest=800)),
        record(5),
    ]
    result = ingest(ListSource(items), tmp_path, store, reports_dir=tmp_path, batch_size=10)
    assert (result.counts.read, result.counts.created, result.counts.rejected) == (5, 2, 3)
    assert result.report_path is not None
    lines = [json.loads(x) for x in result.report_path.read_text().splitlines()]
    assert [(x["position"], x["reason"][:12]) for x in lines] == [
        ("2", "unknown reco"),
        ("3", "invalid JSON"),
        ("4", "time span en"),
    ]
    assert store.count() == 2


def test_reingest_of_unchanged_data_writes_nothing(store: RecordStore, tmp_path: Path) -> None:
    """A second run over the same data reports every record unchanged and feeds no change."""
    items: list[Record | Rejected] = [record(i) for i in range(50)]
    ingest(ListSource(items), tmp_path, store, reports_dir=tmp_path, batch_size=7)
    mark = store.last_seq()
    second = ingest(ListSource(items), tmp_path, store, reports_dir=tmp_path, batch_size=7)
    assert (second.counts.unchanged, second.counts.created, second.counts.updated) == (50, 0, 0)
    assert store.last_seq() == mark
    assert second.report_path is None


def test_overlong_source_id_is_rejected_alone(store: RecordStore, tmp_path: Path) -> None:
    """A record whose source id no database column can hold is rejected; the others land."""
    too_long_title = record(2, labels={"zh-Hans": "x"}, source_id="y" * 600)
    items: list[Record | Rejected] = [record(1), too_long_title, record(3)]
    result = ingest(ListSource(items), tmp_path, store, reports_dir=tmp_path, batch_size=10)
    assert result.counts.created == 2
    assert result.counts.rejected == 1
    assert store.count() == 2


def test_unreadable_source_marks_the_run_failed(store: RecordStore, tmp_path: Path) -> None:
    """A source that cannot be read at all raises, and the run is recorded as failed."""
    from wenyuan.core.errors import SourceError
    from wenyuan.resources import make_adapter

    with pytest.raises(SourceError, match="no such file"):
        ingest(make_adapter("chinese-poetry"), tmp_path / "missing", store, reports_dir=tmp_path)
    assert store.count() == 0


def test_second_record_with_the_same_source_id_is_reported(
    store: RecordStore, tmp_path: Path
) -> None:
    """A publisher's duplicate id keeps the first record and reports the second, naming both."""
    items: list[Record | Rejected] = [record(1), record(2), record(1, labels={"zh-Hans": "又"})]
    result = ingest(ListSource(items), tmp_path, store, reports_dir=tmp_path, batch_size=10)
    assert (result.counts.read, result.counts.created, result.counts.rejected) == (3, 2, 1)
    assert result.report_path is not None
    [line] = [json.loads(x) for x in result.report_path.read_text().splitlines()]
    assert line["reason"] == "duplicate of source id 'r1' already read at list.json#1"
    assert store.get(record(1).id).labels["zh-Hans"] == "诗1"


class _MustNotRead(ListSource):
    """An adapter that fails the test if the pipeline asks it to parse anything."""

    def read(self, path: Path) -> Iterator[Record | Rejected]:
        raise AssertionError(f"{path} was parsed although it had not changed")


def test_unchanged_input_is_not_parsed_again(store: RecordStore, tmp_path: Path) -> None:
    """The same bytes, mapping and code as a complete earlier run whose records are all
    still stored: the run reports them unchanged without parsing; anything else parses."""
    source = tmp_path / "input" / "collection.json"
    source.parent.mkdir()
    source.write_bytes(b"version 1")
    items: list[Record | Rejected] = [record(i) for i in range(50)]
    items.append(Rejected("list", "collection.json", "51", "invalid JSON at line 1"))
    first = ingest(ListSource(items), source, store, reports_dir=tmp_path / "reports")
    mark = store.last_seq()

    again = ingest(_MustNotRead([]), source, store, reports_dir=tmp_path / "reports")
    assert (again.counts.read, again.counts.unchanged, again.counts.rejected) == (51, 50, 1)
    assert again.report_path == first.report_path  # the rejections found last time
    assert store.last_seq() == mark

    # Asked to, or given other bytes or another mapping, the pipeline parses again.
    forced = ingest(
        ListSource(items), source, store, reports_dir=tmp_path / "r", skip_unchanged=False
    )
    assert forced.counts.unchanged == 50
    mapped = ingest(ListSource(items), source, store, reports_dir=tmp_path / "r", extra=b"m")
    assert mapped.counts.unchanged == 50
    source.write_bytes(b"version 2")
    changed = [record(0, labels={"zh-Hans": "改"}), *items[1:]]
    second = ingest(ListSource(changed), source, store, reports_dir=tmp_path / "r")
    assert (second.counts.updated, second.counts.unchanged) == (1, 49)

    # A record removed from the store since: the counts no longer match, so it parses.
    store.delete([record(3).id])
    restored = ingest(ListSource(changed), source, store, reports_dir=tmp_path / "r")
    assert restored.counts.created == 1
    assert store.count() == 50
