"""CsvSource maps CSV rows to records through a TOML mapping; bad rows and mappings are named."""

from __future__ import annotations

import zipfile
from itertools import islice
from pathlib import Path

import pytest

from wenyuan.core.errors import SourceError
from wenyuan.resources import Record
from wenyuan.resources.sources._base import Rejected
from wenyuan.resources.sources._files import iter_files
from wenyuan.resources.sources.csv_mapping import CsvSource, load_mapping, parse_mapping

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tate-artists.mapping.toml"


@pytest.fixture(scope="module")
def tate_archive(shared_data: Path) -> Path:
    """The Tate collection exactly as published, a .tar.xz."""
    return shared_data / "tate-collection.tar.xz"


@pytest.fixture(scope="module")
def artist_csv_bytes(tate_archive: Path) -> bytes:
    """Tate's artist_data.csv as published (it starts with a byte-order mark)."""
    for name, data in iter_files(tate_archive, lambda n: n.name == "artist_data.csv"):
        assert name.name == "artist_data.csv"
        return data
    raise AssertionError("artist_data.csv not in the archive")


@pytest.fixture
def artist_csv(artist_csv_bytes: bytes, tmp_path: Path) -> Path:
    """A copy of artist_data.csv in a temporary folder."""
    path = tmp_path / "artist_data.csv"
    path.write_bytes(artist_csv_bytes)
    return path


@pytest.fixture
def tate_source() -> CsvSource:
    """A CsvSource with the example Tate artists mapping."""
    return CsvSource(load_mapping(EXAMPLE))


def write_mapping(tmp_path: Path, text: str, name: str = "museum") -> Path:
    path = tmp_path / f"{name}.mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.shared_data
def test_reads_tate_artists(tate_source: CsvSource, artist_csv: Path) -> None:
    """All 3,532 rows of Tate's artist_data.csv become person records, the BOM skipped."""
    items = list(tate_source.read(artist_csv))
    assert all(isinstance(i, Record) for i in items)
    records = [i for i in items if isinstance(i, Record)]
    assert len(records) == 3532
    assert records[0].source_id == "10093"  # not "\ufeff..." : the id column was found
    assert {r.type for r in records} == {"person"}
    assert {r.source for r in records} == {"tate-artists"}


@pytest.mark.shared_data
def test_maps_one_row(tate_source: CsvSource, artist_csv: Path) -> None:
    """A row's columns land in labels, time, url and extra as the mapping says."""
    abbey = next(r for r in tate_source.read(artist_csv) if r.source_id == "0")  # type: ignore[union-attr]
    assert isinstance(abbey, Record)
    assert abbey.labels == {"en": "Abbey, Edwin Austin"}
    assert abbey.time is not None
    assert (abbey.time.text, abbey.time.earliest, abbey.time.latest) == ("1852–1911", 1852, 1911)
    assert abbey.url == "http://www.tate.org.uk/art/artists/edwin-austin-abbey-0"
    assert abbey.extra == {
        "gender": "Male",
        "placeOfBirth": "Philadelphia, United States",
        "placeOfDeath": "London, United Kingdom",
    }
    assert (abbey.provenance.file, abbey.provenance.position) == ("artist_data.csv", "3")


@pytest.mark.shared_data
def test_living_artist_has_no_death_year(tate_source: CsvSource, artist_csv: Path) -> None:
    """An empty year cell is no year, not an error."""
    first = next(iter(tate_source.read(artist_csv)))
    assert isinstance(first, Record)
    assert first.time is not None
    assert (first.time.text, first.time.earliest, first.time.latest) == ("born 1930", 1930, None)


@pytest.mark.shared_data
def test_reads_the_csv_inside_the_archive(tate_source: CsvSource, tate_archive: Path) -> None:
    """The mapping's files pattern picks artist_data.csv out of the .tar.xz."""
    items = list(islice(tate_source.read(tate_archive), 100))
    assert len(items) == 100
    assert all(isinstance(i, Record) for i in items)
    assert items[0].provenance.file == "tate-collection/artist_data.csv"  # type: ignore[union-attr]


@pytest.mark.shared_data
def test_reads_a_zip(tate_source: CsvSource, artist_csv_bytes: bytes, tmp_path: Path) -> None:
    """A .zip holding the CSV reads like the file itself."""
    archive = tmp_path / "artists.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/artist_data.csv", artist_csv_bytes)
        zf.writestr("export/README.txt", b"not a csv")
    records = list(tate_source.read(archive))
    assert len(records) == 3532


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        pytest.param(b"\n0,", b"\n,", "empty id (column 'id')", id="empty-id"),
        pytest.param(
            b",1852,1911,",
            b",1852,about 1911,",
            "column 'yearOfDeath' is not an integer year: 'about 1911'",
            id="bad-year",
        ),
        pytest.param(
            b"Philadelphia, United States",
            b"Philadelphia\xff",
            "bytes that are not valid utf-8-sig",
            id="invalid-utf8",
        ),
        pytest.param(
            b",Male,1852", b",Male,,,1852", "row has 11 fields, the header has 9", id="extra-fields"
        ),
    ],
)
def test_bad_row_is_rejected(
    tate_source: CsvSource,
    artist_csv_bytes: bytes,
    tmp_path: Path,
    old: bytes,
    new: bytes,
    reason: str,
) -> None:
    """A bad row (Abbey's, row 3) is rejected with its row number; the others still map."""
    assert artist_csv_bytes.count(old) >= 1
    broken = artist_csv_bytes.replace(old, new, 1)
    path = tmp_path / "artist_data.csv"
    path.write_bytes(broken)
    items = list(tate_source.read(path))
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == 1
    assert (rejected[0].source, rejected[0].file, rejected[0].position) == (
        "tate-artists",
        "artist_data.csv",
        "3",
    )
    assert rejected[0].reason == reason
    assert len(items) == 3532


def test_default_source_is_the_mapping_name(tmp_path: Path) -> None:
    """Without a declared source the records' source is csv:<mapping file stem>."""
    mapping = load_mapping(write_mapping(tmp_path, 'id = "n"\n', name="objects"))
    assert mapping.source == "csv:objects"
    assert CsvSource(mapping).name == "csv:objects"


def test_chinese_title_split_subjects_and_creator(tmp_path: Path) -> None:
    """title_zh gives zh labels and pinyin; subjects split on the declared separator."""
    mapping = load_mapping(
        write_mapping(
            tmp_path,
            'source = "museum"\ntype = "artwork"\nid = "no"\n'
            "[fields]\n"
            'title_en = "title"\ntitle_zh = "title_cn"\ncreator = "artist"\n'
            'creator_role = "role"\ndate = "date"\ndynasty = "dynasty"\n'
            'subjects = { column = "tags", split = ";" }\nimage = "img"\n'
            'description_zh = "note"\n',
        )
    )
    csv_path = tmp_path / "objects.csv"
    csv_path.write_text(
        "no,title,title_cn,artist,role,date,dynasty,tags,img,note\n"
        "A1,Spring Mountains,春山圖,王翬,painter,清乾隆年间,清,landscape; mountain ;,"
        "http://x/a1.jpg,山水畫\n",
        encoding="utf-8",
    )
    (record,) = CsvSource(mapping).read(csv_path)
    assert isinstance(record, Record)
    assert record.labels == {
        "en": "Spring Mountains",
        "zh-Hans": "春山图",
        "zh-Hant": "春山圖",
        "pinyin": "chun shan tu",
    }
    assert [(c.name, c.role) for c in record.creators] == [("王翬", "painter")]
    assert record.subjects == ["landscape", "mountain"]
    assert record.dynasty == "清"
    assert record.time is not None
    assert (record.time.earliest, record.time.latest) == (1736, 1795)
    assert record.images[0].url == "http://x/a1.jpg"
    assert record.description == {"zh-Hans": "山水画"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param('id = "id"\ncolour = "red"\n', "colour", id="unknown-top-key"),
        pytest.param(
            'id = "id"\n[fields]\ntitel_en = "name"\n', "fields.titel_en", id="unknown-field"
        ),
        pytest.param('type = "person"\n', "id", id="missing-id"),
        pytest.param('id = "id"\ntype = "painting"\n', "type", id="unknown-type"),
        pytest.param('id = "id"\ndelimiter = ";;"\n', "delimiter", id="bad-delimiter"),
        pytest.param('id = "id"\nencoding = "klingon"\n', "encoding", id="bad-encoding"),
        pytest.param("id = 3\n", "id", id="id-not-a-string"),
        pytest.param(
            'id = "id"\n[fields]\nextra = "medium"\n', "fields.extra", id="extra-not-a-list"
        ),
    ],
)
def test_invalid_mapping_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    """A mapping with a wrong key raises SourceError naming the mapping file and the key."""
    path = write_mapping(tmp_path, text)
    with pytest.raises(SourceError) as caught:
        load_mapping(path)
    assert caught.value.source == str(path)
    assert caught.value.position == key
    assert key.split(".")[-1] in str(caught.value)


def test_invalid_toml_raises(tmp_path: Path) -> None:
    """A mapping that is not TOML raises SourceError naming the file."""
    path = write_mapping(tmp_path, 'id = "id\n')
    with pytest.raises(SourceError, match="not a valid TOML mapping") as caught:
        load_mapping(path)
    assert caught.value.source == str(path)


@pytest.mark.shared_data
def test_column_missing_from_header_raises(artist_csv: Path, tmp_path: Path) -> None:
    """A mapped column absent from the CSV header raises SourceError naming mapping and key."""
    path = write_mapping(tmp_path, 'id = "id"\n[fields]\ntitle_en = "title"\n')
    with pytest.raises(SourceError) as caught:
        list(CsvSource(load_mapping(path)).read(artist_csv))
    assert caught.value.source == str(path)
    assert caught.value.position == "fields.title_en"
    assert "'title'" in str(caught.value)


def test_semicolon_delimiter_and_legacy_encoding(tmp_path: Path) -> None:
    """delimiter and encoding come from the mapping (here ';' and GB 18030)."""
    mapping = parse_mapping(
        {"id": "编号", "delimiter": ";", "encoding": "gb18030", "fields": {"title_zh": "名称"}},
        name="gb",
    )
    path = tmp_path / "gb.csv"
    path.write_bytes("编号;名称\n1;青花瓷瓶\n".encode("gb18030"))
    (record,) = CsvSource(mapping).read(path)
    assert isinstance(record, Record)
    assert record.source_id == "1"
    assert record.labels["zh-Hans"] == "青花瓷瓶"


def test_missing_path_raises(tmp_path: Path) -> None:
    """A CSV path that does not exist is a SourceError."""
    with pytest.raises(SourceError):
        list(CsvSource(parse_mapping({"id": "id"}, name="x")).read(tmp_path / "none.csv"))
