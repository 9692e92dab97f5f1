"""The built-in sample collection: complete, well-formed, and honest about bad entries."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from wenyuan.core.errors import SourceError
from wenyuan.resources import Record
from wenyuan.resources.sources._base import Rejected
from wenyuan.resources.sources.sample import SampleSource, sample_path


@pytest.fixture(scope="module")
def records() -> list[Record]:
    """Every record of the shipped sample (the test fails on any rejection)."""
    items = list(SampleSource().read(sample_path()))
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert rejected == []
    return [item for item in items if isinstance(item, Record)]


def test_sample_yields_at_least_300_records(records: list[Record]) -> None:
    """The sample holds at least 300 records and none is rejected."""
    assert len(records) >= 300


def test_ids_are_unique(records: list[Record]) -> None:
    """No two sample entries share an id."""
    counts = Counter(record.source_id for record in records)
    assert [ident for ident, n in counts.items() if n > 1] == []


def test_every_record_has_chinese_and_pinyin_labels(records: list[Record]) -> None:
    """Each record carries zh-Hans, zh-Hant and pinyin labels."""
    for record in records:
        assert record.labels.get("zh-Hans"), record.source_id
        assert record.labels.get("zh-Hant"), record.source_id
        assert record.labels.get("pinyin"), record.source_id


def test_jing_ye_si_has_the_ming_text(records: list[Record]) -> None:
    """李白《静夜思》 is there in the popular Ming text, opening 床前明月光."""
    poem = next(r for r in records if r.source_id == "poem/li-bai/jing-ye-si")
    assert poem.labels["zh-Hans"] == "静夜思"
    assert poem.creators[0].name == "李白"
    assert poem.body[0].startswith("床前明月光")
    assert "举头望明月，低头思故乡。" in poem.body


def test_time_spans_are_ordered_and_have_no_year_zero(records: list[Record]) -> None:
    """Every earliest is no later than its latest and no year is 0."""
    for record in records:
        if record.time is None:
            continue
        years = [y for y in (record.time.earliest, record.time.latest) if y is not None]
        assert 0 not in years, record.source_id
        if len(years) == 2:
            assert years[0] <= years[1], record.source_id


def test_every_kind_occurs(records: list[Record]) -> None:
    """Shi, ci, qu, artworks or objects, sites and people all occur."""
    types = {record.type for record in records}
    assert {"poem", "ci", "qu", "site", "person"} <= types
    assert types & {"artwork", "object"}


def test_provenance_names_file_and_entry(records: list[Record]) -> None:
    """Each record's provenance names its TOML file and its entry id."""
    for record in records:
        assert record.provenance.source == "sample"
        assert record.provenance.file.endswith(".toml")
        assert record.provenance.position == record.source_id


def test_broken_toml_raises_source_error_naming_the_file(tmp_path: Path) -> None:
    """A file that is not valid TOML raises SourceError naming the file and line."""
    (tmp_path / "broken.toml").write_text('[[poem]]\nid = "x"\ntitle = \n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"broken\.toml") as info:
        list(SampleSource().read(tmp_path))
    assert info.value.position == "line 3"


def test_entry_without_title_is_rejected_with_its_position(tmp_path: Path) -> None:
    """An entry with no title yields a Rejected naming its position, and reading goes on."""
    (tmp_path / "poems.toml").write_text(
        '[[poem]]\nid = "poem/x/untitled"\ntype = "poem"\nlines = ["一。"]\n\n'
        '[[poem]]\nid = "poem/x/titled"\ntype = "poem"\ntitle = "有题"\n',
        encoding="utf-8",
    )
    items = list(SampleSource().read(tmp_path))
    assert isinstance(items[0], Rejected)
    assert items[0].file == "poems.toml"
    assert items[0].position == "poem/x/untitled"
    assert "title" in items[0].reason
    assert isinstance(items[1], Record)


def test_bad_years_and_unknown_fields_are_rejected(tmp_path: Path) -> None:
    """Year 0, reversed spans and misspelt fields are rejected rather than stored."""
    (tmp_path / "objects.toml").write_text(
        '[[a]]\nid = "a"\ntype = "object"\ntitle = "甲"\nearliest = 0\n\n'
        '[[a]]\nid = "b"\ntype = "object"\ntitle = "乙"\nearliest = 5\nlatest = -5\n\n'
        '[[a]]\nid = "c"\ntype = "object"\ntitle = "丙"\nsubject = ["x"]\n',
        encoding="utf-8",
    )
    items = list(SampleSource().read(tmp_path))
    assert [type(item) for item in items] == [Rejected, Rejected, Rejected]
    assert [item.position for item in items if isinstance(item, Rejected)] == ["a", "b", "c"]
