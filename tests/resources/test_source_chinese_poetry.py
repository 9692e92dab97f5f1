"""The chinese-poetry adapter on the publisher's real files, whole and broken."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wenyuan.resources import Record, Rejected
from wenyuan.resources.sources.chinese_poetry import ChinesePoetrySource

pytestmark = pytest.mark.shared_data

# Small real files, and the ones that carry the poems the tests look at.
WANTED = {
    "chinese-poetry/全唐诗/poet.tang.8000.json",
    "chinese-poetry/全唐诗/error/poet.tang.8000.json",
    "chinese-poetry/全唐诗/唐诗三百首.json",
    "chinese-poetry/全唐诗/表面结构字.json",
    "chinese-poetry/宋词/ci.song.0.json",
    "chinese-poetry/宋词/宋词三百首.json",
    "chinese-poetry/御定全唐詩/json/001.json",
    "chinese-poetry/元曲/yuanqu.json",
    "chinese-poetry/诗经/shijing.json",
    "chinese-poetry/楚辞/chuci.json",
}


@pytest.fixture(scope="module")
def corpus_subset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding some of the real corpus files, unchanged."""
    root = tmp_path_factory.mktemp("cp")
    with tarfile.open(shared_data / "chinese-poetry.tar.xz", "r|xz") as archive:
        for member in archive:
            if member.name in WANTED and member.isfile():
                handle = archive.extractfile(member)
                assert handle is not None
                target = root / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(handle.read())
    return root / "chinese-poetry"


def read_all(path: Path) -> tuple[list[Record], list[Rejected]]:
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in ChinesePoetrySource().read(path):
        (rejected if isinstance(item, Rejected) else records).append(item)
    return records, rejected


@pytest.fixture(scope="module")
def subset_records(corpus_subset: Path) -> list[Record]:
    records, rejected = read_all(corpus_subset)
    assert rejected == []
    return records


def by_title(records: list[Record], title: str) -> list[Record]:
    return [r for r in records if r.labels.get("zh-Hans") == title]


def test_jingyesi_is_mapped_with_both_scripts_and_its_anthology_tags(
    subset_records: list[Record],
) -> None:
    """静夜思 keeps its traditional text, gets simplified and pinyin labels, and its tags."""
    [poem] = [r for r in by_title(subset_records, "静夜思") if r.source_id.count("-") == 4]
    assert poem.labels["zh-Hant"] == "靜夜思"
    assert poem.labels["pinyin"] == "jing ye si"
    assert poem.body[0] == "牀前看月光，疑是地上霜。"
    assert poem.creators[0].name == "李白"
    assert poem.creators[0].pinyin == "li bai"
    assert "唐诗三百首" in poem.tags
    assert poem.dynasty == "唐"
    assert poem.time is not None
    assert (poem.time.earliest, poem.time.latest) == (618, 907)


def test_every_collection_maps_with_its_own_type_and_id_scheme(
    subset_records: list[Record],
) -> None:
    """Shi, ci, qu, Shijing and Chuci each arrive with their type and a stable id."""
    kinds = {(r.type, r.provenance.file.split("/")[0]) for r in subset_records}
    assert {
        ("poem", "全唐诗"),
        ("ci", "宋词"),
        ("qu", "元曲"),
        ("poem", "诗经"),
        ("poem", "楚辞"),
        ("poem", "御定全唐詩"),
    } <= kinds
    guanju = by_title(subset_records, "关雎")[0]
    assert guanju.source_id == "诗经/shijing.json#0"
    assert guanju.body[0].startswith("关关雎鸠")
    assert guanju.creators == []
    kangxi = [r for r in subset_records if r.source_id.startswith("御定全唐詩/")]
    assert kangxi[0].source_id == "御定全唐詩/卷一/1"
    assert "biography" in kangxi[0].extra


def test_ids_are_unique_and_stable_across_reads(corpus_subset: Path) -> None:
    """Reading the same files twice gives the same ids, and no id twice."""
    first, _ = read_all(corpus_subset)
    second, _ = read_all(corpus_subset)
    assert [r.id for r in first] == [r.id for r in second]
    assert len({r.id for r in first}) == len(first)


def test_song_ci_anthology_becomes_tags(subset_records: list[Record]) -> None:
    """Ci in 宋词三百首 carry that anthology as a tag; the anthology adds no records."""
    tagged_ci = [r for r in subset_records if "宋词三百首" in r.tags and r.type == "ci"]
    assert len(tagged_ci) >= 10
    assert not any("宋词三百首" in r.provenance.file for r in subset_records)


def test_error_folder_flags_main_poems_without_new_records(corpus_subset: Path) -> None:
    """A poem in error/ is a flag on the main record, never a second record."""
    error_file = next((corpus_subset / "全唐诗" / "error").glob("*.json"))
    flagged_ids = {p["id"] for p in json.loads(error_file.read_text("utf-8"))}
    records, _ = read_all(corpus_subset)
    assert not any("/error/" in r.provenance.file for r in records)
    flagged = [r for r in records if r.flags]
    assert flagged
    assert {r.source_id for r in flagged} <= flagged_ids
    assert all(f.startswith("publisher-flagged") for r in flagged for f in r.flags)


def broken_copies(corpus_subset: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    original = (corpus_subset / "元曲" / "yuanqu.json").read_bytes()
    cases = {
        "truncated": original.decode()[: len(original) // 4].encode(),
        "invalid-utf8": original[:100] + b"\xff\xfe" + original[102:],
        "wrong-top-level": json.dumps({"poems": []}).encode(),
        "wrong-types": json.dumps(
            [
                {"title": 5, "author": "x", "paragraphs": ["a"]},
                {"title": "好", "author": "关汉卿", "paragraphs": "not a list"},
                json.loads(original)[0],
            ],
            ensure_ascii=False,
        ).encode(),
    }
    for name, data in cases.items():
        folder = tmp_path / name / "chinese-poetry" / "元曲"
        folder.mkdir(parents=True)
        (folder / "yuanqu.json").write_bytes(data)
        yield name, tmp_path / name / "chinese-poetry"


def test_broken_files_are_rejected_with_file_and_reason(
    corpus_subset: Path, tmp_path: Path
) -> None:
    """Truncated JSON, bad UTF-8, a wrong shape or wrong types give rejections, not crashes."""
    outcome = {}
    for name, folder in broken_copies(corpus_subset, tmp_path):
        records, rejected = read_all(folder)
        outcome[name] = (
            len(records),
            [(r.file.split("/")[-1], r.position, r.reason[:14]) for r in rejected],
        )
    assert outcome["truncated"][0] == 0
    assert outcome["truncated"][1][0][2] == "invalid JSON a"
    assert outcome["invalid-utf8"][1] == [("yuanqu.json", "", "not valid UTF-")]
    assert outcome["wrong-top-level"][1] == [("yuanqu.json", "", "expected a JSO")]
    assert outcome["wrong-types"][0] == 1
    assert [r[1] for r in outcome["wrong-types"][1]] == ["0", "1"]


def test_zip_and_tar_archives_read_like_the_folder(corpus_subset: Path, tmp_path: Path) -> None:
    """The same files as a .zip or a .tar.xz give the same records as the folder."""
    folder_records, _ = read_all(corpus_subset / "诗经")
    zipped = tmp_path / "cp.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(corpus_subset / "诗经" / "shijing.json", "chinese-poetry/诗经/shijing.json")
    tarred = tmp_path / "cp.tar.xz"
    with tarfile.open(tarred, "w:xz") as archive:
        data = (corpus_subset / "诗经" / "shijing.json").read_bytes()
        info = tarfile.TarInfo("chinese-poetry/诗经/shijing.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    for path in (zipped, tarred):
        records, rejected = read_all(path)
        assert rejected == []
        assert [r.id for r in records] == [r.id for r in folder_records]
        assert len(records) == 305
