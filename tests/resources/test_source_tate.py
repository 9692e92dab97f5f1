"""TateSource reads Tate's real collection archive into records, and rejects broken files."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pytest

from wenyuan.core.errors import SourceError
from wenyuan.core.ids import record_id
from wenyuan.resources import Record
from wenyuan.resources.sources._base import Rejected
from wenyuan.resources.sources._files import iter_files
from wenyuan.resources.sources.tate import TateSource

pytestmark = pytest.mark.shared_data

#: Artists come first in the archive (3,538), then artworks from artworks/a/.
FIRST = 5000


@pytest.fixture(scope="module")
def tate_archive(shared_data: Path) -> Path:
    """The Tate collection exactly as published, a .tar.xz."""
    return shared_data / "tate-collection.tar.xz"


@pytest.fixture(scope="module")
def first_items(tate_archive: Path) -> list[Record | Rejected]:
    """The first 5,000 items streamed straight from the .tar.xz."""
    return list(islice(TateSource().read(tate_archive), FIRST))


@pytest.fixture(scope="module")
def by_id(first_items: list[Record | Rejected]) -> dict[str, Record]:
    """Those items' records by source_id."""
    return {i.source_id: i for i in first_items if isinstance(i, Record)}


@pytest.fixture(scope="module")
def real_files(tate_archive: Path) -> dict[str, bytes]:
    """A few real files (artist 0, artworks A00001 and A00005), bytes as published."""
    wanted = {"abbey-edwin-austin-0.json", "a00001-1035.json", "a00005-1039.json"}
    found: dict[str, bytes] = {}
    for name, data in iter_files(tate_archive, lambda n: n.name in wanted):
        found[name.name] = data
        if len(found) == len(wanted):
            break
    return found


def write(folder: Path, relative: str, data: bytes) -> None:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def test_streams_records_from_the_archive(first_items: list[Record | Rejected]) -> None:
    """The first 5,000 items of the .tar.xz are 3,538 artists then 1,462 artworks, none rejected."""
    kinds = [i.type for i in first_items if isinstance(i, Record)]
    assert len(kinds) == FIRST
    assert kinds.count("person") == 3538
    assert kinds.count("artwork") == FIRST - 3538
    assert kinds[:3538] == ["person"] * 3538


def test_artist_record(by_id: dict[str, Record]) -> None:
    """An artist file becomes a person with life years, places and the Tate page."""
    abbey = by_id["artist/0"]
    assert abbey.source == "tate"
    assert abbey.type == "person"
    assert abbey.labels == {"en": "Edwin Austin Abbey"}
    assert abbey.time is not None
    assert (abbey.time.text, abbey.time.earliest, abbey.time.latest) == ("1852–1911", 1852, 1911)
    assert abbey.extra["place_of_birth"] == "Philadelphia, United States"
    assert abbey.extra["place_of_death"] == "London, United Kingdom"
    assert abbey.url == "http://www.tate.org.uk/art/artists/edwin-austin-abbey-0"
    assert abbey.provenance.file == "artists/a/abbey-edwin-austin-0.json"


def test_artwork_record(by_id: dict[str, Record]) -> None:
    """An artwork keeps title, artist, year range, leaf subjects, image and museum details."""
    art = by_id["artwork/1039"]
    assert art.type == "artwork"
    assert art.labels["en"].startswith("The Circle of the Lustful: Francesca da Rimini")
    assert [(c.name, c.role) for c in art.creators] == [("William Blake", "artist")]
    assert art.creators[0].person_id == record_id("tate", "artist/39")
    assert art.time is not None
    assert (art.time.text, art.time.earliest, art.time.latest) == (
        "1826–7, reprinted 1892",
        1826,
        1827,
    )
    assert "Francesca da Rimini" in art.subjects
    assert "whirlwind" in art.subjects
    assert "people" not in art.subjects  # a branch of the subject tree, not a leaf
    assert art.images[0].url == "http://www.tate.org.uk/art/images/work/A/A00/A00005_8.jpg"
    assert art.extra["accession_number"] == "A00005"
    assert art.extra["medium"] == "Line engraving on paper"
    assert art.extra["dimensions"] == "image: 243 x 335 mm"
    assert art.provenance.file == "artworks/a/000/a00005-1039.json"


def test_artist_link_exists(by_id: dict[str, Record]) -> None:
    """Every artwork's creator links to an artist record read from the same archive."""
    people = {r.id for r in by_id.values() if r.type == "person"}
    links = [c.person_id for r in by_id.values() for c in r.creators]
    assert links
    assert all(link in people for link in links)


def test_unknown_date_keeps_text(by_id: dict[str, Record]) -> None:
    """An artwork with no dateRange keeps "date not known" as text, with no years."""
    art = by_id["artwork/1035"]
    assert art.time is not None
    assert (art.time.text, art.time.earliest, art.time.latest) == ("date not known", None, None)


def test_reads_a_zip_and_a_folder(real_files: dict[str, bytes], tmp_path: Path) -> None:
    """The same files read from a .zip and from a folder give the same records."""
    archive = tmp_path / "tate.zip"
    folder = tmp_path / "tate-collection"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "tate-collection/artists/a/abbey-edwin-austin-0.json",
            real_files["abbey-edwin-austin-0.json"],
        )
        zf.writestr(
            "tate-collection/artworks/a/000/a00005-1039.json", real_files["a00005-1039.json"]
        )
        zf.writestr("tate-collection/processed/subjects/level0.json", b"[]")
        zf.writestr("tate-collection/artist_data.csv", b"id,name\n")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path)
    from_zip = list(TateSource().read(archive))
    from_folder = list(TateSource().read(folder))
    assert [r.source_id for r in from_zip if isinstance(r, Record)] == ["artist/0", "artwork/1039"]
    assert from_zip == from_folder


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(lambda b: b[: len(b) // 2], "invalid JSON", id="truncated"),
        pytest.param(
            lambda b: b.replace(b"Watercolour", b"Watercol\xffur"),
            "invalid UTF-8",
            id="invalid-utf8",
        ),
        pytest.param(
            lambda b: b"[" + b + b"]",
            "wrong shape: Expected `object`, got `array`",
            id="top-level-array",
        ),
        pytest.param(
            lambda b: b.replace(b'"id": 1035', b'"id": "1035"'),
            "wrong shape: Expected `int`, got `str` - at `$.id`",
            id="id-as-string",
        ),
        pytest.param(
            lambda b: b.replace(b'"title":', b'"untitled":'),
            "missing required field `title`",
            id="no-title",
        ),
        pytest.param(
            lambda b: b.replace(b'"contributors": [', b'"contributors": {"x": [').replace(
                b'"creditLine"', b'}, "creditLine"'
            ),
            "wrong shape: Expected `array`, got `object` - at `$.contributors`",
            id="contributors-as-object",
        ),
    ],
)
def test_broken_artwork_is_rejected(
    real_files: dict[str, bytes], tmp_path: Path, change: Callable[[bytes], bytes], reason: str
) -> None:
    """A broken artwork file is rejected with its file and reason, and reading goes on."""
    broken = change(real_files["a00001-1035.json"])
    assert broken != real_files["a00001-1035.json"]
    write(tmp_path, "artworks/a/000/a00001-1035.json", broken)
    write(tmp_path, "artworks/a/000/a00005-1039.json", real_files["a00005-1039.json"])
    items = list(TateSource().read(tmp_path))
    assert len(items) == 2
    rejected, record = items
    assert isinstance(rejected, Rejected)
    assert (rejected.source, rejected.file, rejected.position) == (
        "tate",
        "artworks/a/000/a00001-1035.json",
        "1",
    )
    assert reason in rejected.reason
    assert isinstance(record, Record)
    assert record.source_id == "artwork/1039"


def test_string_years_are_read(real_files: dict[str, bytes], tmp_path: Path) -> None:
    """Years written as strings (as in 32 real artworks, "startYear": "2006") are read as ints."""
    data = json.loads(real_files["a00005-1039.json"])
    data["dateRange"] = {"startYear": "2006", "text": "2006"}
    data["dateText"] = "2006"
    write(tmp_path, "artworks/a/000/a00005-1039.json", json.dumps(data).encode())
    (record,) = TateSource().read(tmp_path)
    assert isinstance(record, Record)
    assert record.time is not None
    assert (record.time.earliest, record.time.latest) == (2006, 2006)


def test_missing_source_raises(tmp_path: Path) -> None:
    """A path that does not exist is a SourceError, not an empty read."""
    with pytest.raises(SourceError):
        list(TateSource().read(tmp_path / "nowhere.tar.xz"))


def test_skips_processed_and_csv(tmp_path: Path, real_files: dict[str, bytes]) -> None:
    """processed/ and the CSV are not records."""
    write(tmp_path, "processed/subjects/level0.json", b"[1, 2]")
    write(tmp_path, "artist_data.csv", b"id\n1\n")
    write(tmp_path, "artists/a/abbey-edwin-austin-0.json", real_files["abbey-edwin-austin-0.json"])
    assert [i.source_id for i in TateSource().read(tmp_path) if isinstance(i, Record)] == [
        "artist/0"
    ]


def test_chinese_title_gets_chinese_labels(real_files: dict[str, bytes], tmp_path: Path) -> None:
    """A Chinese title gets zh-Hans, zh-Hant and pinyin labels beside en."""
    data = json.loads(real_files["a00005-1039.json"])
    data["title"] = "山水圖"
    write(tmp_path, "artworks/a/000/a00005-1039.json", json.dumps(data).encode())
    (record,) = TateSource().read(tmp_path)
    assert isinstance(record, Record)
    assert record.labels == {
        "en": "山水圖",
        "zh-Hans": "山水图",
        "zh-Hant": "山水圖",
        "pinyin": "shan shui tu",
    }
