"""The wenyuan command: each command's output, JSON mode, and one clear line on error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wenyuan.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("乾隆五十年", 1785, 1785),
        ("公元前3世纪", -300, -201),
        ("Ming dynasty (1368–1644)", 1368, 1644),
    ],
    ids=["reign-year", "bce-century", "museum-phrase"],
)
def test_dates_parse_json(text: str, earliest: int, latest: int) -> None:
    """`wenyuan dates parse TEXT --json` prints text, earliest, latest and label."""
    result = runner.invoke(app, ["dates", "parse", text, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["text"], body["earliest"], body["latest"]) == (text, earliest, latest)
    assert body["label"]


def test_dates_parse_rejects_nonsense_with_one_line() -> None:
    """An unreadable date exits 1 with one error line naming the text."""
    result = runner.invoke(app, ["dates", "parse", "sometime maybe"])
    assert result.exit_code == 1
    assert "sometime maybe" in result.stderr
    assert "Traceback" not in result.output


def test_ingest_then_search(data_dir: Path) -> None:
    """Ingesting the sample then searching finds 静夜思, in JSON and in text."""
    from wenyuan.resources.sources.sample import sample_path

    loaded = runner.invoke(app, ["ingest", "sample", str(sample_path()), "--json"])
    assert loaded.exit_code == 0, loaded.output
    summary = json.loads(loaded.stdout)
    assert summary["created"] >= 300
    assert summary["rejected"] == 0
    found = runner.invoke(app, ["search", "床前明月光", "--json", "--limit", "3"])
    assert found.exit_code == 0, (found.stdout, found.stderr, found.exception)
    assert json.loads(found.stdout)["hits"][0]["title"] == "静夜思"
    plain = runner.invoke(app, ["search", "li bai", "--facet", "type=person"])
    assert "李白" in plain.stdout
    again = runner.invoke(app, ["ingest", "sample", str(sample_path()), "--json"])
    assert again.exit_code == 0, (again.stdout, again.stderr, again.exception)
    assert json.loads(again.stdout)["unchanged"] == summary["created"]


def test_ingest_of_a_missing_path_fails_cleanly(data_dir: Path) -> None:
    """A path that does not exist exits 1 with one line saying so."""
    result = runner.invoke(app, ["ingest", "tate", str(data_dir / "nowhere")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_bad_facet_syntax_is_a_usage_error(data_dir: Path) -> None:
    """--facet without NAME=VALUE exits 2."""
    result = runner.invoke(app, ["search", "月", "--facet", "poem"])
    assert result.exit_code == 2


def test_every_command_help_has_an_example() -> None:
    """Each command's help shows an example invocation."""
    for args in (
        ["serve"],
        ["demo"],
        ["search"],
        ["reindex"],
        ["stats"],
        ["dates", "parse"],
        ["ingest", "chinese-poetry"],
        ["ingest", "csv"],
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0
        assert "Example: wenyuan" in result.stdout, args
