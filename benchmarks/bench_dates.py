"""Benchmark the date parser on the real CMOA collection against the museum's own dates.

Streams every object of ``../shared/data/cmoa-collection.tar.xz`` (members
``cmoa-collection/cmoa/*.json``), parses ``creation_date`` with ``try_parse_date`` and compares
the span with the museum's ``creation_date_earliest`` / ``creation_date_latest``. It prints the
share parsed, the share within ±5 years at both ends, the parse rate, the most frequent
phrasings left unparsed or wrong, and, as a peer in the same run, a naive baseline (the first
4-digit number as both ends). The last block is markdown for docs/benchmarks.md.

Run: ``.venv/bin/python benchmarks/bench_dates.py [--limit N] [--archive PATH]``
"""

from __future__ import annotations

import argparse
import json
import re
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from wenyuan.resources.dates import try_parse_date

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "cmoa-collection.tar.xz"
TOLERANCE = 5
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_SHAPE = re.compile(r"\d")


def museum_year(iso: str | None) -> int | None:
    """The year of one of CMOA's ISO dates, historical (CMOA writes 206 BCE as -0206-…).

    For early years CMOA's calendar conversion moves 1 January into the last days of the
    previous December ("0617-12-29" for 618), so a date from 20 December on counts as the
    next year.
    """
    if not iso:
        return None
    found = re.fullmatch(r"(-?)(\d{1,4})-(\d{2})-(\d{2})", iso.strip())
    if not found:
        return None
    sign, year_text, month, day = found.groups()
    year = int(year_text)
    if int(month) == 12 and int(day) >= 20:
        year += 1
    return -year if sign else year


def cmoa_objects(archive: Path, limit: int | None = None) -> Iterator[dict[str, object]]:
    """The CMOA objects, streamed from the archive without extracting it."""
    count = 0
    with tarfile.open(archive, "r|xz") as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".json") and "/cmoa/" in member.name):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            yield json.loads(handle.read())
            count += 1
            if limit is not None and count >= limit:
                return


def baseline(text: str) -> tuple[int, int] | None:
    """The naive peer: the first 4-digit number as both ends."""
    found = _FOUR_DIGITS.search(text)
    return (int(found.group(1)),) * 2 if found else None


def close(span: tuple[int, int] | None, truth: tuple[int, int]) -> bool:
    return (
        span is not None
        and abs(span[0] - truth[0]) <= TOLERANCE
        and abs(span[1] - truth[1]) <= TOLERANCE
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--limit", type=int, default=None, help="read only the first N objects")
    options.add_argument("--archive", type=Path, default=ARCHIVE)
    args = options.parse_args()

    objects = with_text = parsed = compared = ours_ok = base_ok = 0
    misses: Counter[str] = Counter()
    examples: dict[str, str] = {}
    texts: list[str] = []
    for obj in cmoa_objects(args.archive, args.limit):
        objects += 1
        text = obj.get("creation_date")
        if not isinstance(text, str) or not text.strip():
            continue
        with_text += 1
        texts.append(text)
        span = try_parse_date(text)
        parsed += span is not None
        earliest = museum_year(obj.get("creation_date_earliest"))  # type: ignore[arg-type]
        latest = museum_year(obj.get("creation_date_latest"))  # type: ignore[arg-type]
        if earliest is None or latest is None:
            continue
        compared += 1
        truth = (earliest, latest)
        ours = (span.earliest, span.latest) if span else None
        ok = close(ours, truth)
        ours_ok += ok
        base_ok += close(baseline(text), truth)
        if not ok:
            shape = _SHAPE.sub("9", text)
            misses[shape] += 1
            examples.setdefault(shape, f"{text!r} -> {ours} (museum {truth})")

    started = time.perf_counter()
    for text in texts:
        try_parse_date(text)
    elapsed = time.perf_counter() - started
    rate = len(texts) / elapsed if elapsed else float("inf")

    share = parsed / with_text if with_text else 0.0
    ours_share = ours_ok / compared if compared else 0.0
    base_share = base_ok / compared if compared else 0.0
    print(f"objects:                       {objects}")
    print(f"with a date text:              {with_text}")
    print(f"parsed:                        {parsed} ({share:.1%})")
    print(f"compared (museum has both):    {compared}")
    print(f"within ±{TOLERANCE} y, wenyuan parser:   {ours_ok} ({ours_share:.1%})  target ≥ 90 %")
    print(f"within ±{TOLERANCE} y, naive baseline:   {base_ok} ({base_share:.1%})")
    print(f"parse rate:                    {rate:,.0f} texts/s ({len(texts)} texts)")
    print("\nmost frequent unparsed or wrong phrasings (digits as 9):")
    for shape, count in misses.most_common(15):
        print(f"  {count:5d}  {examples[shape]}")
    print("\n```markdown")
    print("### Date parser on CMOA (`benchmarks/bench_dates.py`)\n")
    print("| measure | wenyuan parser | naive baseline (first 4-digit number) |")
    print("|---|---|---|")
    print(f"| objects / with date text / compared | {objects} / {with_text} / {compared} | same |")
    print(f"| parsed | {share:.1%} | – |")
    print(f"| within ±{TOLERANCE} years at both ends | {ours_share:.1%} | {base_share:.1%} |")
    print(f"| parse rate | {rate:,.0f} texts/s | – |")
    print("```")


if __name__ == "__main__":
    main()
