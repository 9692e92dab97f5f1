"""The command examples of the docs run, and every `wenyuan …` command the docs write exists.

Runs: the ```console and ```sh blocks of README.md and docs/*.md run in order, through bash,
in one working folder per document that looks like a fresh checkout (links to this
checkout's .venv, src and docs) with an empty data folder. Every command must exit 0. In a
console block a command starts with `$ `, and the lines under it are output that must
appear, in that order; `…` stands for any text, and a line of `…` alone for lines left out.
An HTML comment just above a block speaks to this test:

- `<!-- docs-test: skip (why) -->`: the block does not run here, for the reason given
  (`make demo` serves until stopped);
- `<!-- docs-test: given scan.tif -->`: the block names a file of the reader's own; the test
  puts a small file of that name in the working folder first.

Exists: each `wenyuan …` command written in the docs (in blocks, skipped ones included, in
`inline code`, and the command reference's examples) names commands that exist, and options
that each of them has (a command in prose may leave out its arguments).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.main

from wenyuan.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(
    r"^(?:<!-- docs-test: (?P<note>.*?) -->\n)?```(?P<lang>console|sh)\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
_SKIP = re.compile(r"skip \((?P<why>.+)\)")
_GIVEN = re.compile(r"given (?P<files>.+)")
_MARK = "@@docs-test {}@@"
_WENYUAN = re.compile(r"^(?:\.venv/bin/)?wenyuan(?:\s|$)")


@dataclass(frozen=True)
class Example:
    """One command of a block, and the output the block shows under it."""

    command: str
    output: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    examples: tuple[Example, ...]
    skip: str | None = None
    given: tuple[str, ...] = field(default=())

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def _examples(lang: str, body: str) -> tuple[Example, ...]:
    lines = body.replace("\\\n", " ").splitlines()
    if lang == "sh":
        return tuple(Example(line.strip()) for line in lines if line.strip())
    examples: list[Example] = []
    for line in lines:
        if line.startswith("$ "):
            examples.append(Example(line[2:].strip()))
        elif examples and line.strip():
            last = examples[-1]
            examples[-1] = Example(last.command, (*last.output, line.rstrip()))
    return tuple(examples)


def blocks(doc: Path) -> list[Block]:
    """The console and sh blocks of ``doc``, with what their comment says."""
    text = doc.read_text("utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        note = match["note"]
        skip = given = None
        if note is not None:
            skip, given = _SKIP.fullmatch(note), _GIVEN.fullmatch(note)
            assert skip or given, f"{doc.name}: unknown docs-test comment {note!r}"
        found.append(
            Block(
                doc,
                text.count("\n", 0, match.start("body")),
                _examples(match["lang"], match["body"]),
                skip=skip["why"] if skip else None,
                given=tuple(given["files"].split()) if given else (),
            )
        )
    return found


RUNNABLE = [doc for doc in DOCS if any(block.skip is None for block in blocks(doc))]


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split("…")))


def _check_output(block: Block, example: Example, output: str) -> None:
    """Each shown line matches a line of ``output``, in order."""
    lines = iter(output.splitlines())
    for expected in example.output:
        if expected.strip() == "…":
            continue
        pattern = _pattern(expected)
        if not any(pattern.fullmatch(line.rstrip()) for line in lines):
            pytest.fail(
                f"{block.where}: `{example.command}` did not print {expected!r} "
                f"(in order); it printed:\n{output}"
            )


def _checkout(work: Path) -> None:
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.executable).parents[1], target_is_directory=True)
    (work / "src").symlink_to(ROOT / "src", target_is_directory=True)
    (work / "docs").symlink_to(ROOT / "docs", target_is_directory=True)


def _run(block: Block, work: Path, env: dict[str, str]) -> None:
    """Run the block's commands in one bash, stopping at the first that fails."""
    script = ["exec 2>&1", "set -e -o pipefail"]
    for number, example in enumerate(block.examples):
        script += [f"printf '\\n{_MARK.format(number)}\\n'", example.command]
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    parts = re.split(r"\n@@docs-test (\d+)@@\n", "\n" + result.stdout)[1:]
    outputs = dict(zip((int(n) for n in parts[::2]), parts[1::2], strict=True))
    if result.returncode != 0:
        last = max(outputs, default=0)
        pytest.fail(
            f"{block.where}: `{block.examples[last].command}` exited with "
            f"{result.returncode}:\n{outputs.get(last, result.stdout)}"
        )
    assert len(outputs) == len(block.examples)
    for number, example in enumerate(block.examples):
        _check_output(block, example, outputs[number])


@pytest.mark.parametrize("doc", RUNNABLE, ids=[str(doc.relative_to(ROOT)) for doc in RUNNABLE])
def test_the_command_examples_run_and_print_what_they_show(doc: Path, tmp_path: Path) -> None:
    """Each block runs in order in a fresh checkout-like folder; every command exits 0 and
    prints the output shown under it."""
    work = tmp_path / "checkout"
    _checkout(work)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WENYUAN_", "FORCE_COLOR"))}
    env |= {
        "WENYUAN_DATA_DIR": str(tmp_path / "data"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "COLUMNS": "200",  # a terminal's width: rich wraps at 80 columns otherwise
    }
    ran = 0
    for block in blocks(doc):
        if block.skip is not None:
            continue
        for name in block.given:
            (work / name).write_text(f"{name}: a file of the reader's own\n", "utf-8")
        _run(block, work, env)
        ran += len(block.examples)
    assert ran > 0


def test_every_skipped_block_says_why() -> None:
    """A block the tests do not run says why, and the README still runs some."""
    every = [block for doc in DOCS for block in blocks(doc)]
    skipped = [block for block in every if block.skip is not None]
    assert all(block.skip and block.skip.strip() for block in skipped)
    assert ROOT / "README.md" in RUNNABLE
    assert len(skipped) < len(every)


# -- every written command exists ---------------------------------------------------------

_INLINE = re.compile(r"`((?:\.venv/bin/)?wenyuan(?: [^`\n]*)?)`")
_REFERENCE_EXAMPLE = re.compile(r"Example: (wenyuan .*?)\s*$", re.MULTILINE)
_SHELL_OPERATORS = {">", ">>", "<", "|", "&&", "||", ";", "2>", "&"}


def written_commands() -> list[tuple[str, str]]:
    """(where, command line) of every `wenyuan` command the docs write."""
    found: list[tuple[str, str]] = []
    for doc in DOCS:
        name = str(doc.relative_to(ROOT))
        text = doc.read_text("utf-8")
        for block in blocks(doc):
            found += [
                (block.where, example.command)
                for example in block.examples
                if _WENYUAN.match(example.command)
            ]
        found += [(name, command) for command in _INLINE.findall(text)]
        if doc.name == "cli.md":
            found += [(name, command) for command in _REFERENCE_EXAMPLE.findall(text)]
    return found


WRITTEN = written_commands()
CLI = typer.main.get_command(app)  # a click command tree (typer carries its own click)


def _options(command: Any) -> dict[str, bool]:
    """``command``'s option names, each with whether it takes a value."""
    taken = {"--help": False}
    for param in command.params:
        if param.param_type_name == "option":
            takes_value = not (param.is_flag or param.count)
            taken |= {name: takes_value for name in (*param.opts, *param.secondary_opts)}
    return taken


def test_the_docs_write_commands() -> None:
    """The search for written commands finds the docs' commands (so the next test checks
    something): README's, the ledger guide's and the reference's examples."""
    places = {where.partition(":")[0] for where, _ in WRITTEN}
    assert {"README.md", "docs/ledger.md", "docs/cli.md"} <= places
    assert len(WRITTEN) > 40


@pytest.mark.parametrize(("where", "command"), WRITTEN, ids=[c for _, c in WRITTEN])
def test_every_written_command_exists(where: str, command: str) -> None:
    """Each written command line names real commands, and options each of them has."""
    words = shlex.split(command, comments=True)[1:]
    current: Any = CLI
    context = CLI.context_class(CLI, info_name="wenyuan")
    position = 0
    while position < len(words) and words[position] not in _SHELL_OPERATORS:
        word = words[position]
        position += 1
        if word.startswith("--"):
            options = _options(current)
            name = word.partition("=")[0]
            assert name in options, f"{where}: `{command}`: {context.command_path} has no {name}"
            position += options[name] and "=" not in word
        elif hasattr(current, "get_command"):  # a group: the word names a command of it
            found = current.get_command(context, word)
            assert found is not None, f"{where}: `{command}`: no command {word!r}"
            current = found
            context = found.context_class(found, parent=context, info_name=word)
