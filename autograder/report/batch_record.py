"""`batch.json` and `final_grades.csv`: what one grading run was, and what each student gets.

The terminal scrolls away; these stay beside the results. `batch.json` says
when the run was, with which config (path and hash), engine, inputs and side
files (roster, overrides, extensions, times), and lists everything a TA must
look at that is not a score: the same bytes under two ids,
skipped files, rostered students with nothing handed in, submissions nobody
on the roster owns, overrides with their reasons, late penalties, the rows
kept from earlier runs into the same folder (`earlier`: results accumulate,
as in nbgrader's gradebook) and what was regraded because the grading code
changed. `final_grades.csv` is otter's kind of file: one row per student,
final score.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autograder.report.atomic import write_text
from autograder.report.csvfile import write_csv
from autograder.report.sanitize import csv_cell, json_text
from autograder.score.results import SubmissionResult

BATCH = "batch.json"
FINAL_GRADES = "final_grades.csv"


@dataclass
class BatchRecord:
    ran_at: str
    engine_version: str
    config_path: str
    config_sha256: str
    inputs: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # roster, overrides, extensions, ...
    counts: dict[str, int] = field(default_factory=dict)  # by status
    rows: list[str] = field(default_factory=list)  # every row of the gradebook
    earlier: list[str] = field(default_factory=list)  # rows kept from earlier runs (not given now)
    checks_changed: list[str] = field(default_factory=list)  # regraded: grading code changed
    identical: list[str] = field(default_factory=list)  # the same bytes under two ids
    other_duplicates: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    not_on_roster: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> BatchRecord:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def write(self, path: Path) -> None:
        write_text(path, json_text(asdict(self)))

    def sort_duplicates(self, duplicates: list[str]) -> None:
        """Discovery's duplicate lines by kind (batch/discover.py words them)."""
        for line in duplicates:
            if "identical to" in line or "same bytes as" in line:
                self.identical.append(line)
            else:
                self.other_duplicates.append(line)

    def add_results(self, results: list[SubmissionResult]) -> None:
        for result in results:
            self.rows.append(result.submission_id)
            self.counts[result.status.value] = self.counts.get(result.status.value, 0) + 1
            final = result.final
            if final is None:
                continue
            for o in final.overrides:
                self.overrides.append({"id": result.submission_id, **asdict(o)})
            if final.late is not None and (final.late.days_late or final.late.note):
                self.late.append({"id": result.submission_id, **asdict(final.late),
                                  "penalty": final.penalty, "adjusted": final.adjusted})


def write_final_grades(results: list[SubmissionResult], path: Path) -> None:
    """One row per student; the final score as an LMS export sends it (`lms_score`): empty
    for a rostered student with nothing handed in and no override — its status says
    "missing", and a 0 there would be a grade nobody gave (`export canvas` leaves the same
    cell empty)."""
    rows = [[csv_cell(r.submission_id), csv_cell(r.final.name if r.final else ""),
             r.status.value, "" if r.lms_score is None else f"{r.lms_score:g}",
             f"{r.max_score:g}"]
            for r in sorted(results, key=lambda r: r.submission_id)]
    write_csv(path, ["id", "name", "status", "final_score", "max_score"], rows)


def late_cost(entry: dict[str, Any]) -> str:
    """What lateness cost a row, sign-correct: "-13.1 points", or why nothing was taken."""
    penalty = float(entry.get("penalty") or 0.0)
    if penalty > 0:
        return f"-{penalty:g} points"
    adjusted = entry.get("adjusted")
    if isinstance(adjusted, (int, float)) and adjusted < 0:
        return f"nothing taken: the score after overrides, {adjusted:g}, is below 0"
    return "nothing taken: the score is 0" if adjusted == 0 else "nothing taken"


def course_lines(record: BatchRecord) -> list[str]:
    """The summary's lines for what the course added (the terminal view of batch.json)."""
    lines = [f"  not on roster: {sid}" for sid in record.not_on_roster]  # (missing: a status)
    lines += [f"  override: {o['id']}: {o['check'].split(':', 1)[0]} {o['before']:g} → "
              f"{o['after']:g} ({o['reason']}, {o['who']}"
              + (f"; {o['scope']}" if o.get("scope") else "") + ")" for o in record.overrides]
    lines += [f"  late: {entry['id']}: {entry['days_late']} day(s), {late_cost(entry)}"
              + (f" ({entry['note']})" if entry["note"] else "")
              for entry in record.late if entry["days_late"]]
    lines += [f"  problem: {line}" for line in record.problems]
    return lines
