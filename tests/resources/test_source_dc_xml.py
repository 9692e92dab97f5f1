"""DublinCoreSource reads real OAI-PMH responses and plain oai_dc documents into records."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from wenyuan.resources import Record
from wenyuan.resources.sources._base import Rejected
from wenyuan.resources.sources.dc_xml import DublinCoreSource, UnsafeXML, parse_xml

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> Path:
    """The folder of real OAI-PMH responses (see its SOURCES.md)."""
    return shared_data / "oai-pmh-samples"


def read(path: Path) -> tuple[list[Record], list[Rejected], DublinCoreSource]:
    source = DublinCoreSource()
    items = list(source.read(path))
    return (
        [i for i in items if isinstance(i, Record)],
        [i for i in items if isinstance(i, Rejected)],
        source,
    )


def test_chinese_creator(samples: Path) -> None:
    """The UTF-8 GetRecord keeps its Chinese creator as written, with pinyin."""
    (record,), rejected, _ = read(samples / "getrecord-oai_dc-utf8-chinese-creator.xml")
    assert not rejected
    assert record.source == "dc-xml"
    assert record.source_id == "oai:test.example.com:1996652"
    assert record.labels == {"en": "Sample Title"}
    assert [(c.name, c.role, c.pinyin) for c in record.creators] == [("某人", "creator", "mou ren")]
    assert record.time is not None
    assert (record.time.text, record.time.earliest, record.time.latest) == ("2011", 2011, 2011)
    assert record.type == "text"
    assert record.url == "http://test.example.com/publication/1996652"
    assert record.extra["language"] == ["eng"]
    assert record.extra["publisher"] == ["Sample Publisher"]
    assert record.extra["source"] == ["Sample Source"]


def test_dspace_record(samples: Path) -> None:
    """A real DSpace record maps subjects, description, the handle URL and its OAI set."""
    (record,), _, _ = read(samples / "getrecord-oai_dc-eur-dspace-2003.xml")
    assert record.source_id == "hdl:1765/315"
    assert record.labels["en"].startswith("De vrouwenbeweging online.")
    assert record.subjects[:2] == ["social movement internet", "uses of internet"]
    assert record.description["en"].startswith("THE WOMEN'S MOVEMENT ONLINE.")
    assert record.url == "http://hdl.handle.net/1765/315"
    assert record.time is not None
    assert (record.time.earliest, record.time.latest) == (2003, 2003)
    assert record.type == "text"  # dc:type "Technical Report"
    assert record.extra["oai_sets"] == ["2:7"]
    assert record.extra["identifiers"] == ["90-9014980-5", "http://hdl.handle.net/1765/315"]
    assert record.provenance.file == "getrecord-oai_dc-eur-dspace-2003.xml"


def test_listrecords_counts(samples: Path) -> None:
    """A real ListRecords page with deletions yields its 79 records and skips 2 deleted."""
    records, rejected, source = read(
        samples / "listrecords-oai_dc-eur-dspace-2004-with-deleted.xml"
    )
    assert (len(records), len(rejected), source.deleted) == (79, 0, 2)
    assert len({r.source_id for r in records}) == 79
    positions = [int(r.provenance.position) for r in records]
    assert positions == sorted(positions)


def test_deleted_header_is_skipped_not_rejected(samples: Path) -> None:
    """A deleted header, even one with no identifier, is counted and skipped."""
    records, rejected, source = read(
        samples / "listrecords-oai_dc-page4-deleted-header-missing-identifier.xml"
    )
    assert [r.source_id for r in records] == ["oai:test.example.com:1585322"]
    assert records[0].provenance.position == "2"
    assert [c.name for c in records[0].creators] == ["John Doe"]  # repeated creator kept once
    assert not rejected
    assert source.deleted == 1
    _, _, single = read(samples / "getrecord-oai_dc-deleted-eur-dspace-2004.xml")
    assert single.deleted == 1


def test_whole_folder(samples: Path) -> None:
    """The sample folder gives 103 records, skips 7 deleted, and rejects broken or non-DC files."""
    records, rejected, source = read(samples)
    assert len(records) == 103
    assert source.deleted == 7
    by_file = Counter(r.file for r in rejected)
    assert by_file == {
        "INVALID-identify-undefined-entity-malformed.xml": 1,
        "INVALID-identify-unexpected-bogus-element.xml": 1,
        "INVALID-listrecords-not-xml.xml": 1,
        "getrecord-edm-europeana-mauritshuis-vermeer.xml": 1,
        "getrecord-mods-montana-repox-provenance.xml": 1,
        "listrecords-marc21-alma-resumptiontoken.xml": 100,
        "listrecords-mods-harvard-botanicals-page1-resumptiontoken.xml": 10,
        "listrecords-oai_doaj-doaj-resumptiontoken-completelistsize.xml": 100,
    }


@pytest.mark.parametrize(
    ("name", "position", "reason"),
    [
        (
            "INVALID-identify-undefined-entity-malformed.xml",
            "line 1, column 288",
            "malformed XML: undefined entity at line 1, column 288",
        ),
        (
            "INVALID-identify-unexpected-bogus-element.xml",
            "line 1, column 1308",
            "malformed XML: mismatched tag at line 1, column 1308",
        ),
        (
            "INVALID-listrecords-not-xml.xml",
            "line 1, column 1",
            "malformed XML: syntax error at line 1, column 1",
        ),
    ],
    ids=["undefined-entity", "bogus-element", "not-xml"],
)
def test_malformed_xml_is_rejected(samples: Path, name: str, position: str, reason: str) -> None:
    """A file that is not well-formed is one Rejected naming the parser's line and column."""
    records, rejected, _ = read(samples / name)
    assert not records
    assert [(r.file, r.position, r.reason) for r in rejected] == [(name, position, reason)]


def test_semantically_invalid_identify_yields_nothing(samples: Path) -> None:
    """A well-formed Identify response holds no records: nothing is yielded."""
    assert read(samples / "INVALID-identify-bad-earliestDatestamp.xml")[:2] == ([], [])


def test_other_metadata_formats_are_rejected_per_record(samples: Path) -> None:
    """Each record in another metadata format is rejected, naming the format found."""
    _, rejected, _ = read(samples / "getrecord-mods-montana-repox-provenance.xml")
    assert [r.reason for r in rejected] == [
        "no oai_dc metadata (found mods (http://www.loc.gov/mods/v3))"
    ]


def test_record_without_identifier_is_rejected(samples: Path, tmp_path: Path) -> None:
    """A live record whose header lacks an identifier is rejected with its position."""
    data = (samples / "listrecords-oai_dc-page2-resumptiontoken.xml").read_bytes()
    live = data.index(b"<record>", data.index(b"</record>"))  # the first record is deleted
    start = data.index(b"<identifier>", live)
    end = data.index(b"</identifier>", start) + len(b"</identifier>")
    (tmp_path / "page.xml").write_bytes(data[:start] + data[end:])
    records, rejected, _ = read(tmp_path / "page.xml")
    assert not records
    assert [(r.file, r.position, r.reason) for r in rejected] == [
        ("page.xml", "2", "OAI-PMH header has no identifier")
    ]


def test_plain_dc_document(samples: Path, tmp_path: Path) -> None:
    """A plain oai_dc:dc document is a record whose id is its dc:identifier."""
    data = (samples / "getrecord-oai_dc-utf8-chinese-creator.xml").read_text(encoding="utf-8")
    dc = data[data.index("<oai_dc:dc") : data.index("</oai_dc:dc>") + len("</oai_dc:dc>")]
    dc = dc.replace(
        "<dc:title>Sample Title</dc:title>",
        '<dc:title xml:lang="zh-Hant">春山圖</dc:title>'
        '<dc:title xml:lang="en">Spring Mountains</dc:title>',
    )
    (tmp_path / "one.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + dc, encoding="utf-8"
    )
    (record,) = DublinCoreSource().read(tmp_path / "one.xml")
    assert isinstance(record, Record)
    assert record.source_id == "http://test.example.com/publication/1996652"
    assert record.labels == {
        "zh-Hans": "春山图",
        "zh-Hant": "春山圖",
        "pinyin": "chun shan tu",
        "en": "Spring Mountains",
    }


def test_doctype_is_refused(samples: Path, tmp_path: Path) -> None:
    """A document with a DOCTYPE (an entity bomb here) is rejected and nothing is expanded."""
    data = (samples / "getrecord-oai_dc-sickle-testrepo.xml").read_bytes()
    body = data.split(b"?>", 1)[1]
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + body.replace(b"<dc:title>", b"<dc:title>&b;")
    )
    (tmp_path / "bomb.xml").write_bytes(bomb)
    records, rejected, _ = read(tmp_path / "bomb.xml")
    assert not records
    assert len(rejected) == 1
    assert rejected[0].reason.startswith("document type declarations are refused (line 2")
    with pytest.raises(UnsafeXML):
        parse_xml(b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>')


def test_reads_a_zip(samples: Path, tmp_path: Path) -> None:
    """A .zip of real responses reads like the folder."""
    names = [
        "getrecord-oai_dc-utf8-chinese-creator.xml",
        "listrecords-oai_dc-eur-dspace-2003.xml",
        "SOURCES.md",
    ]
    archive = tmp_path / "harvest.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in names:
            zf.write(samples / name, f"harvest/{name}")
    records, rejected, _ = read(archive)
    assert (len(records), len(rejected)) == (17, 0)
    assert records[0].provenance.file == "harvest/getrecord-oai_dc-utf8-chinese-creator.xml"
