"""The record store on SQLite and PostgreSQL: upserts by content hash, feed, pages."""

from __future__ import annotations

import msgspec
import pytest

from wenyuan.core.db import create_engine, migrate
from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.resources import MIGRATIONS, Provenance, Record, RecordStore, TimeSpan


def make(n: int, title: str = "标题") -> Record:
    return Record(
        source="test",
        source_id=f"item-{n}",
        type="poem",
        labels={"zh-Hans": f"{title}{n}"},
        provenance=Provenance(source="test", file="f.json", position=str(n)),
        body=["床前明月光，疑是地上霜。"],
        time=TimeSpan(text="唐", earliest=618, latest=907),
    )


@pytest.fixture
def store(database_url: str) -> RecordStore:
    """An empty, migrated record store."""
    engine = create_engine(database_url)
    migrate(engine, [MIGRATIONS])
    yield RecordStore(engine)
    engine.dispose()


def test_first_write_creates_then_same_content_is_unchanged(store: RecordStore) -> None:
    """Writing the same records twice creates them once and then reports them unchanged."""
    batch = [make(i) for i in range(10)]
    assert store.upsert_batch(batch).created == 10
    again = store.upsert_batch(batch)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert store.count() == 10


def test_changed_content_updates_and_feeds_one_change(store: RecordStore) -> None:
    """A record whose content changed is updated and appears once more in the change feed."""
    store.upsert_batch([make(1), make(2)])
    before = store.last_seq()
    result = store.upsert_batch([make(1, title="新题"), make(2)])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    feed = store.changes_since(before)
    assert [(c.op, c.record_id) for c in feed] == [("upsert", make(1).id)]
    assert feed[0].record is not None
    assert feed[0].record.labels["zh-Hans"] == "新题1"


def test_record_round_trips_exactly(store: RecordStore) -> None:
    """What is stored is what is read back, field for field."""
    record = make(7)
    store.upsert_batch([record])
    assert msgspec.to_builtins(store.get(record.id)) == msgspec.to_builtins(record)


def test_missing_record_raises_not_found(store: RecordStore) -> None:
    """Asking for an unknown id raises NotFound naming the id."""
    with pytest.raises(NotFound, match="r-doesnotexist"):
        store.get("r-doesnotexist")


def test_delete_leaves_tombstone(store: RecordStore) -> None:
    """Deleting a record removes it and appends a delete to the feed."""
    store.upsert_batch([make(1)])
    mark = store.last_seq()
    assert store.delete([make(1).id, "r-unknown"]) == 1
    feed = store.changes_since(mark)
    assert [(c.op, c.record) for c in feed] == [("delete", None)]
    with pytest.raises(NotFound):
        store.get(make(1).id)


def test_cursor_pages_cover_everything_once(store: RecordStore) -> None:
    """Following next_cursor visits every record exactly once, in id order."""
    store.upsert_batch([make(i) for i in range(23)])
    seen: list[str] = []
    cursor = None
    while True:
        page = store.page(cursor=cursor, limit=5)
        seen.extend(r.id for r in page.records)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 23
    assert seen == sorted(seen)
    assert len(set(seen)) == 23


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90LWEtcmVjb3Jk", "\u4e2d"], ids=["junk", "foreign", "cjk"]
)
def test_foreign_cursor_is_invalid_input(store: RecordStore, cursor: str) -> None:
    """A cursor this server did not issue is refused as invalid input."""
    with pytest.raises(InvalidInput):
        store.page(cursor=cursor)


def test_watermark_round_trip(store: RecordStore) -> None:
    """A consumer's watermark starts at 0 and keeps what was last set."""
    assert store.watermark("search") == 0
    store.set_watermark("search", 42)
    store.set_watermark("search", 43)
    assert store.watermark("search") == 43


def test_last_record_of_a_batch_wins(store: RecordStore) -> None:
    """Two versions of one record in one batch store the later one."""
    store.upsert_batch([make(1), make(1, title="后")])
    assert store.get(make(1).id).labels["zh-Hans"] == "后1"
    assert store.count() == 1
