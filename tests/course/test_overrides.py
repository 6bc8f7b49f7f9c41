"""overrides.csv: who, what, why and by whom, applied in order on top of the checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.score.final import TOTAL, Standing, finalise
from autograder.score.late import Late
from autograder.score.overrides import OverrideError, apply_overrides, load_overrides

CHECKS = ["mse_loss: matches F.mse_loss", "mse_loss: backward", "mae_loss: matches F.l1_loss"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overrides.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_set_and_change_checks_and_the_total_in_file_order(tmp_path: Path):
    overrides = load_overrides(write(tmp_path, (
        "id,check,points,reason,who,when\n"
        "lee,mse_loss: backward,2,gradcheck flaky on their machine,TA Kim,2025-03-16\n"
        "lee,mae_loss,+1,partial credit on review,TA Kim,\n"
        "lee,total,-0.5,copied a cell from the lecture without credit,Prof. Ruiz,\n")), CHECKS)
    assert [o.check for o in overrides] == [CHECKS[1], CHECKS[2], TOTAL]
    scores = {CHECKS[0]: 2.0, CHECKS[1]: 0.0, CHECKS[2]: 0.0}
    applied = apply_overrides(scores, overrides)
    assert [(a.before, a.after) for a in applied] == [(0.0, 2.0), (0.0, 1.0), (5.0, 4.5)]
    assert applied[0].when == "2025-03-16" and applied[2].who == "Prof. Ruiz"
    final = finalise(2.0, Standing(overrides=applied, late=Late(days_late=1, percent=10.0)))
    assert (final.raw, final.adjusted, final.penalty, final.final) == (2.0, 4.5, 0.45, 4.05)


def test_every_bad_row_is_one_line_naming_file_and_line(tmp_path: Path):
    path = write(tmp_path, (
        "id,check,points,reason,who\n"
        "lee,mse_loss,2,ambiguous,TA\n"
        "lee,nope: check,2,unknown,TA\n"
        "lee,total,two,not a number,TA\n"
        "lee,total,2,,TA\n"
        ",,,,\n"
        "lee,total,=1+1,formula,TA\n"))
    with pytest.raises(OverrideError) as caught:
        load_overrides(path, CHECKS)
    lines = str(caught.value).splitlines()
    assert len(lines) == 5
    assert lines[0].startswith(f"{path}:2: check 'mse_loss' could be any of 2 checks")
    assert lines[1] == f"{path}:3: no check named 'nope: check' (use `total` or a name from the gradebook)"
    assert lines[2].startswith(f"{path}:4: points 'two' is not a number")
    assert lines[3].startswith(f"{path}:5: no reason")
    assert lines[4].startswith(f"{path}:7: points '=1+1' is not a number")


def test_an_excel_saved_file_with_a_bom_reads(tmp_path: Path):
    path = write(tmp_path, "\ufeffid,check,points,reason,who\r\nlee,TOTAL,10,regrade request,TA\r\n")
    assert load_overrides(path, CHECKS)[0].check == TOTAL


def test_an_unquoted_comma_in_a_reason_is_refused_naming_its_line(tmp_path: Path):
    """s4/run2.sh: `who` would have become "second look" and "Prof Ruiz" been dropped."""
    path = write(tmp_path, (
        "id,check,points,reason,who\n"
        "alice,total,+1,fine,TA Kim\n"
        "\n"
        "carol,total,+1,regrade request, second look,Prof Ruiz\n"
        'dave,total,+1,"regrade request, second look",Prof Ruiz\n'))
    with pytest.raises(OverrideError) as caught:
        load_overrides(path, CHECKS)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}:4: more cells than the header has columns (extra: 'Prof Ruiz')")
    assert "double quotes" in line
    quoted = load_overrides(write(tmp_path, (
        "id,check,points,reason,who\n"
        'dave,total,+1,"regrade request, second look",Prof Ruiz\n')), CHECKS)
    assert (quoted[0].reason, quoted[0].who) == ("regrade request, second look", "Prof Ruiz")


def test_an_extra_empty_cell_is_refused_too(tmp_path: Path):
    """`reason, second look,` shifts "second look" into `who` and leaves an empty extra cell."""
    path = write(tmp_path, "id,check,points,reason,who\ncarol,total,+1,regrade, second look,\n")
    with pytest.raises(OverrideError, match=r":2: more cells than the header"):
        load_overrides(path, CHECKS)


def test_a_checks_override_stays_within_its_points(tmp_path: Path):
    """An instructor's review: 20 typed for 2.0 on a 2-point check was taken, and seen only
    if the total went past its maximum. Beyond a check's points, the file says so by line;
    a bonus goes on `total`."""
    maxima = {CHECKS[0]: 2.0, CHECKS[1]: 2.0, CHECKS[2]: 1.0}
    path = write(tmp_path, (
        "id,check,points,reason,who\n"
        "lee,mse_loss: backward,20,regrade,TA\n"
        "lee,mae_loss,+3,regrade,TA\n"
        "lee,mae_loss,1,regrade,TA\n"
        "lee,total,+20,bonus project,Prof\n"))
    with pytest.raises(OverrideError) as raised:
        load_overrides(path, CHECKS, maxima)
    lines = str(raised.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["2", "3"], lines
    assert "worth 2 points and this sets it to 20" in lines[0]
    assert "worth 1 points and this changes it by 3" in lines[1]
    assert len(load_overrides(write(tmp_path, "id,check,points,reason,who\n"
                                    "lee,mae_loss,1,regrade,TA\nlee,total,+20,bonus,Prof\n"),
                              CHECKS, maxima)) == 2
