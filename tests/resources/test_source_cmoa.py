"""CmoaSource reads the Carnegie Museum of Art's real archive into records."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pytest

from wenyuan.core.errors import SourceError
from wenyuan.resources import Record
from wenyuan.resources.sources._base import Rejected
from wenyuan.resources.sources._files import iter_files
from wenyuan.resources.sources.cmoa import CmoaSource, iso_year

FIRST = 2000
TEXTILE = "00078d13-d7c7-4f1b-bbe2-b9afcc25fcbd"  # "Textile fragment", c. 1860
TREES = "00079db6-ad11-494b-8abb-faa3d84a3f32"  # Robert Swain Gifford, "Old Trees", 1883
VASE = "01d215f7-8e4e-4096-be22-58b0e8bbbf53"  # Han dynasty vase, 206 BCE-220 CE


@pytest.fixture(scope="module")
def cmoa_archive(shared_data: Path) -> Path:
    """The CMOA collection exactly as published, a .tar.xz."""
    return shared_data / "cmoa-collection.tar.xz"


@pytest.fixture(scope="module")
def first_items(cmoa_archive: Path) -> list[Record | Rejected]:
    """The first 2,000 items streamed straight from the .tar.xz."""
    return list(islice(CmoaSource().read(cmoa_archive), FIRST))


@pytest.fixture(scope="module")
def by_id(first_items: list[Record | Rejected]) -> dict[str, Record]:
    """Those items' records by the uuid part of their source_id."""
    return {i.source_id.removeprefix("things/"): i for i in first_items if isinstance(i, Record)}


@pytest.fixture(scope="module")
def real_files(cmoa_archive: Path) -> dict[str, bytes]:
    """Three real object files, bytes as published."""
    wanted = {f"{TEXTILE}.json", f"{TREES}.json", f"{VASE}.json"}
    found: dict[str, bytes] = {}
    for name, data in iter_files(cmoa_archive, lambda n: n.name in wanted):
        found[name.stem] = data
        if len(found) == len(wanted):
            break
    return found


@pytest.mark.shared_data
def test_streams_records_from_the_archive(first_items: list[Record | Rejected]) -> None:
    """The first 2,000 objects of the .tar.xz all map; those with a creator are artworks."""
    assert all(isinstance(i, Record) for i in first_items)
    records = [i for i in first_items if isinstance(i, Record)]
    assert len(records) == FIRST
    assert {r.source for r in records} == {"cmoa"}
    assert len({r.source_id for r in records}) == FIRST
    assert all(r.type == ("artwork" if r.creators else "object") for r in records)
    assert sum(r.type == "artwork" for r in records) == 1998


@pytest.mark.shared_data
def test_museum_years_and_text(by_id: dict[str, Record]) -> None:
    """The museum's earliest/latest ISO dates give the years; creation_date stays the text."""
    textile = by_id[TEXTILE]
    assert textile.time is not None
    assert (textile.time.text, textile.time.earliest, textile.time.latest) == (
        "c. 1860",
        1855,
        1865,
    )
    assert textile.labels == {"en": "Textile fragment"}
    assert textile.extra["accession_number"] == "79.66.115"
    assert textile.extra["department"] == "Decorative Arts and Design"
    assert textile.extra["medium"] == "satin with cut and uncut velvet"
    assert textile.extra["dimensions_in"] == {"width": 5.875, "height": 13.0}
    assert textile.provenance.file == f"cmoa/{TEXTILE}.json"


@pytest.mark.shared_data
def test_bce_years_are_negative(by_id: dict[str, Record]) -> None:
    """A leading minus in the museum's dates is a BCE year: 206 BCE-220 CE is -206..220."""
    vase = by_id[VASE]
    assert vase.time is not None
    assert (vase.time.text, vase.time.earliest, vase.time.latest) == ("206 BCE-220 CE", -206, 220)
    assert vase.extra["creator_nationality"] == ["Chinese"]


@pytest.mark.shared_data
def test_creator_image_and_url(by_id: dict[str, Record]) -> None:
    """Creators keep the full name as written; images and the museum page are kept."""
    trees = by_id[TREES]
    assert trees.type == "artwork"
    assert trees.labels == {"en": "Old Trees"}
    assert [c.name for c in trees.creators] == ["Robert Swain Gifford"]
    assert trees.images[0].url == (
        "http://collection.cmoa.org/CollectionImage.aspx?irn=47711&size=Medium"
    )
    assert trees.url == "http://collection.cmoa.org/CollectionDetail.aspx?item=1000162"


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("1855-01-01", 1855),
        ("-0664-01-08", -664),
        ("-0009-01-03", -9),
        ("0000-01-01", -1),
        (None, None),
        ("", None),
        ("undated", None),
    ],
    ids=["ce", "bce", "bce-small", "year-zero", "none", "empty", "text"],
)
def test_iso_year(text: str | None, year: int | None) -> None:
    """iso_year reads the museum's ISO dates, BCE negative, with no year 0."""
    assert iso_year(text) == year


def test_falls_back_to_the_date_parser(tmp_path: Path) -> None:
    """Without the museum's years, creation_date goes through try_parse_date."""
    thing = {
        "id": "cmoa:things/x",
        "title": "Bowl",
        "creation_date": "c. 1860",
        "creation_date_earliest": None,
        "creation_date_latest": None,
        "creator": [],
    }
    (tmp_path / "cmoa").mkdir()
    (tmp_path / "cmoa" / "x.json").write_text(json.dumps(thing))
    (record,) = CmoaSource().read(tmp_path)
    assert isinstance(record, Record)
    assert record.type == "object"
    assert record.time is not None
    assert (record.time.text, record.time.earliest, record.time.latest) == ("c. 1860", 1855, 1865)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(lambda b: b[:-40], "invalid JSON", id="truncated"),
        pytest.param(
            lambda b: b.replace(b"velvet", b"velv\xe9t"), "invalid UTF-8", id="invalid-utf8"
        ),
        pytest.param(
            lambda b: b"[" + b + b"]", "Expected `object`, got `array`", id="top-level-array"
        ),
        pytest.param(
            lambda b: b.replace(b'"item_width": 5.875', b'"item_width": "wide"'),
            "Expected `float | null`, got `str` - at `$.item_width`",
            id="width-as-text",
        ),
        pytest.param(
            lambda b: b.replace(b'"id": "cmoa:things/', b'"xid": "'),
            "missing required field `id`",
            id="no-id",
        ),
        pytest.param(
            lambda b: b.replace(
                b'"id": "cmoa:things/00078d13-d7c7-4f1b-bbe2-b9afcc25fcbd"', b'"id": " "'
            ),
            "missing id",
            id="blank-id",
        ),
    ],
)
def test_broken_object_is_rejected(
    real_files: dict[str, bytes], tmp_path: Path, change: Callable[[bytes], bytes], reason: str
) -> None:
    """A broken object file is rejected with its file and reason, and reading goes on."""
    broken = change(real_files[TEXTILE])
    assert broken != real_files[TEXTILE]
    (tmp_path / "cmoa").mkdir()
    (tmp_path / "cmoa" / f"{TEXTILE}.json").write_bytes(broken)
    (tmp_path / "cmoa" / f"{TREES}.json").write_bytes(real_files[TREES])
    rejected, record = CmoaSource().read(tmp_path)
    assert isinstance(rejected, Rejected)
    assert (rejected.source, rejected.file, rejected.position) == (
        "cmoa",
        f"cmoa/{TEXTILE}.json",
        "1",
    )
    assert reason in rejected.reason
    assert isinstance(record, Record)
    assert record.source_id == f"things/{TREES}"


@pytest.mark.shared_data
def test_reads_a_zip(real_files: dict[str, bytes], tmp_path: Path) -> None:
    """A .zip of real files reads like the archive; datapackage.json is not a record."""
    archive = tmp_path / "cmoa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cmoa-collection/datapackage.json", b'{"name": "x"}')
        for stem, data in real_files.items():
            zf.writestr(f"cmoa-collection/cmoa/{stem}.json", data)
    records = list(CmoaSource().read(archive))
    assert sorted(r.source_id for r in records if isinstance(r, Record)) == sorted(
        f"things/{s}" for s in (TEXTILE, TREES, VASE)
    )


def test_not_an_archive_raises(tmp_path: Path) -> None:
    """A damaged archive is a SourceError for the whole source."""
    bad = tmp_path / "cmoa.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SourceError):
        list(CmoaSource().read(bad))
