"""The late policy: grace, a share per day started, a cap, a cutoff, extensions, unknown times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autograder.config import Deadline
from autograder.score.late import (
    Extension,
    LateError,
    assess,
    load_extensions,
    load_submission_times,
    parse_time,
)

DUE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
POLICY = Deadline.model_validate({
    "due": DUE, "grace_minutes": 15, "timezone": "UTC",
    "penalty": {"per_day_percent": 10, "max_percent": 30, "zero_after": DUE + timedelta(days=7)},
})


@pytest.mark.parametrize(("delay", "days", "percent"), [
    (timedelta(minutes=-5), 0, 0.0),
    (timedelta(minutes=14), 0, 0.0),  # inside the grace period
    (timedelta(minutes=16), 1, 10.0),
    (timedelta(hours=24, minutes=1), 2, 20.0),  # a day started counts
    (timedelta(days=5), 5, 30.0),  # capped
    (timedelta(days=7, minutes=1), 8, 100.0),  # after the cutoff: no credit
])
def test_penalty_by_days_started(delay: timedelta, days: int, percent: float):
    late = assess(POLICY, submitted=DUE + delay, source="test")
    assert (late.days_late, late.percent) == (days, percent)


def test_an_extension_moves_the_due_date_and_the_cutoff():
    late = assess(POLICY, submitted=DUE + timedelta(days=8), extension=Extension(days=3))
    assert (late.days_late, late.percent) == (5, 30.0)  # not past the moved cutoff
    assert "extension" in late.note
    on_time = assess(POLICY, submitted=DUE + timedelta(days=2),
                     extension=Extension(due=DUE + timedelta(days=3)))
    assert on_time.percent == 0.0


def test_the_canvas_late_mark_without_a_time_counts_one_day_unless_extended():
    marked = assess(POLICY, submitted=None, marked_late=True)
    assert (marked.days_late, marked.percent) == (1, 10.0) and "time unknown" in marked.note
    extended = assess(POLICY, submitted=None, marked_late=True, extension=Extension(days=2))
    assert extended.percent == 0.0
    assert assess(POLICY, submitted=None).percent == 0.0


def test_dates_without_an_offset_are_read_in_the_configured_timezone():
    policy = Deadline.model_validate({"due": "2025-03-14T23:59", "timezone": "America/Chicago",
                                      "penalty": {"per_day_percent": 50}})
    utc_just_before = datetime(2025, 3, 15, 4, 58, tzinfo=UTC)  # 23:58 in Chicago (CDT)
    assert assess(policy, submitted=utc_just_before).percent == 0.0
    assert assess(policy, submitted=utc_just_before + timedelta(minutes=2)).percent == 50.0


def test_extension_and_time_files(tmp_path: Path):
    ext = tmp_path / "extensions.csv"
    ext.write_text("id,days,due\nokafor_1001,2,\nS1010,,2025-03-20T12:00:00+00:00\n")
    loaded = load_extensions(ext, UTC)
    assert loaded["okafor_1001"] == Extension(days=2.0)
    assert loaded["S1010"].due == datetime(2025, 3, 20, 12, tzinfo=UTC)
    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\nlee,2025-03-15 10:00\n")
    assert load_submission_times(times, UTC)["lee"] == datetime(2025, 3, 15, 10, tzinfo=UTC)


def test_bad_rows_are_reported_one_line_each(tmp_path: Path):
    ext = tmp_path / "extensions.csv"
    ext.write_text("id,days\na,two\n,1\nb,-1\nc,\na,1\nC,0\n")
    with pytest.raises(LateError) as caught:
        load_extensions(ext, UTC)
    lines = str(caught.value).splitlines()
    assert lines == [f"{ext}:2: a: days 'two' is not a number", f"{ext}:3: no `id`",
                     f"{ext}:4: b: days '-1' must be 0 or more",
                     f"{ext}:5: c: give `days` (extra days) or `due` (a new due date)",
                     f"{ext}:6: a appears twice",
                     f"{ext}:7: C appears twice"]  # (ids match in any case: red team 33)


CHICAGO = Deadline.model_validate({  # the day before the US spring change (2025-03-09)
    "due": "2025-03-08T23:59:00", "timezone": "America/Chicago", "grace_minutes": 15,
    "penalty": {"per_day_percent": 10, "max_percent": 50}})


@pytest.mark.parametrize("written", [
    "2025-03-10T00:30", "2025-03-10T00:30:00-05:00", "2025-03-10T05:30:00Z",
    "2025-03-09T23:30:00-06:00"])
def test_one_instant_costs_the_same_however_it_is_written_across_dst(written: str):
    """23 h 31 min after the due date (a 23-hour day in Chicago): day 1, written any way."""
    from zoneinfo import ZoneInfo

    late = assess(CHICAGO, submitted=parse_time(written, ZoneInfo("America/Chicago")))
    assert (late.days_late, late.percent) == (1, 10.0)


@pytest.mark.parametrize(("due", "submitted", "days"), [
    # spring forward: 24 real hours after 23:59 CST is 00:59 CDT two calendar days later
    ("2025-03-08T23:59", "2025-03-10T00:58", 1),
    ("2025-03-08T23:59", "2025-03-10T01:00", 2),
    # fall back: 25 wall-clock hours after 23:59 CDT on 11-01 are 24 real hours
    ("2025-11-01T23:59", "2025-11-02T22:59", 1),
    ("2025-11-01T23:59", "2025-11-02T23:00", 2),
])
def test_a_day_late_is_24_real_hours_in_either_dst_change(due: str, submitted: str, days: int):
    from zoneinfo import ZoneInfo

    policy = Deadline.model_validate({"due": due, "timezone": "America/Chicago",
                                      "penalty": {"per_day_percent": 10}})
    late = assess(policy, submitted=parse_time(submitted, ZoneInfo("America/Chicago")))
    assert late.days_late == days


def test_grace_decides_late_or_not_and_days_count_from_the_due_date():
    """README: within the grace it is on time; past it, days are counted from `due` itself
    (24 h 10 min late is day 2 although only 23 h 55 min are past the grace)."""
    assert assess(POLICY, submitted=DUE + timedelta(minutes=15)).days_late == 0
    assert assess(POLICY, submitted=DUE + timedelta(minutes=15, seconds=1)).days_late == 1
    assert assess(POLICY, submitted=DUE + timedelta(hours=24, minutes=10)).days_late == 2


def test_an_extension_of_days_keeps_the_local_time_across_dst():
    from zoneinfo import ZoneInfo

    chicago = ZoneInfo("America/Chicago")
    late = assess(CHICAGO, submitted=parse_time("2025-03-11T23:58", chicago),
                  extension=Extension(days=3))
    assert late.percent == 0.0 and late.due == "2025-03-11T23:59:00-05:00"
    assert assess(CHICAGO, submitted=parse_time("2025-03-12T00:20", chicago),
                  extension=Extension(days=3)).days_late == 1


def test_extension_and_time_rows_with_extra_cells_are_refused(tmp_path: Path):
    ext = tmp_path / "extensions.csv"
    ext.write_text("id,days\ns101,3\ns102,2,doctor's note\n")
    with pytest.raises(LateError, match=rf"^{ext}:3: more cells than the header"):
        load_extensions(ext, UTC)
    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\ns101,2025-03-15 10:00,late\n")
    with pytest.raises(LateError, match=rf"^{times}:2: more cells than the header"):
        load_submission_times(times, UTC)


def test_rows_remember_their_line_for_messages(tmp_path: Path):
    ext = tmp_path / "extensions.csv"
    ext.write_text("id,days\n\ns101,3\ns102,1\n")  # a blank line a spreadsheet left
    loaded = load_extensions(ext, UTC)
    assert (loaded.path, loaded.lines) == (ext, {"s101": 3, "s102": 4})
