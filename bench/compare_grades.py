"""Two grading runs' outputs, compared cell by cell and message by message.

    .venv/bin/python bench/compare_grades.py OUT_A OUT_B

Why: the same notebooks graded on two hosts (a CPU machine and a GPU one, see
`bench/device_check.sh`; two torch versions; before and after a change meant to keep every
grade) must give the same gradebook and the same feedback. Compares `gradebook.csv` (every
column but the submission time) and, for each submission, its `results.json` tests (score
and output). Prints every difference; exits 1 when there is one.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

IGNORED_COLUMNS = {"submitted_at"}


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        return {row["submission_id"]: row for row in csv.DictReader(handle)}


def tests(results: Path) -> dict[str, tuple[Any, Any]]:
    data = json.loads(results.read_text(encoding="utf-8"))
    return {t.get("name"): (t.get("score"), t.get("output")) for t in data.get("tests", [])}


def differences(a: Path, b: Path) -> list[str]:
    found: list[str] = []
    rows_a, rows_b = gradebook(a), gradebook(b)
    for sid in sorted(set(rows_a) | set(rows_b)):
        if sid not in rows_a or sid not in rows_b:
            found.append(f"{sid}: only in {a if sid in rows_a else b}")
            continue
        for column in rows_a[sid]:
            if column not in IGNORED_COLUMNS and rows_a[sid][column] != rows_b[sid].get(column):
                found.append(f"{sid} [{column}]: {rows_a[sid][column]!r} | "
                             f"{rows_b[sid].get(column)!r}")
        left, right = a / sid / "results.json", b / sid / "results.json"
        if left.is_file() != right.is_file():
            found.append(f"{sid}: results.json in one run only")
        elif left.is_file():
            ta, tb = tests(left), tests(right)
            for name in sorted(set(ta) | set(tb), key=str):
                if ta.get(name) != tb.get(name):
                    found.append(f"{sid} / {name}: {str(ta.get(name))[:200]} | "
                                 f"{str(tb.get(name))[:200]}")
    return found


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    found = differences(a, b)
    for line in found:
        print(line)
    print(f"{len(gradebook(a))} submissions; {len(found)} differences")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
