"""A mistakes review's (twenty-fifth round) reports, held in-process on the reference with one
function rewritten: a layer that acts only in train mode is caught in build_classifier, and a
training loop that does not train on the batches its loader gives is caught and named."""

from __future__ import annotations

import pytest
from lab05_checks import test_part_b_classification as part_b
from lab05_checks import test_part_d_training as part_d
from test_helper_blame import edited, excused, failed, namespace, verdict, verdicts

LAST = "        nn.Linear(hidden, num_classes),\n"


@pytest.mark.parametrize("new", [
    LAST + "        nn.Dropout(0.2),\n",  # on the logits
    "        nn.Dropout(0.5),\n" + LAST,  # between the layers (after the ReLU)
])
def test_a_dropout_in_build_classifier_is_caught_in_train_mode(new: str) -> None:
    """The eval-mode outputs are Linear → ReLU → Linear's, so the architecture check passed
    a Dropout and the logits check (no softmax) too: full marks for another model than the
    one asked for. Its train-mode outputs are not that composition of its layers."""
    found = verdicts(namespace(edited("build_classifier", LAST, new)), "build_classifier")
    assert set(failed(found)) == {part_d.CLS_ARCH}, failed(found)
    message = failed(found)[part_d.CLS_ARCH].message
    assert "in eval mode only" in message and "Dropout" in message, message


def test_the_reference_build_classifier_keeps_its_points() -> None:
    found = verdicts(namespace(), "build_classifier")
    assert not failed(found), failed(found)


LOOP = "    for x, y in loader:\n"
TRAIN_CHECKS = "train_one_epoch"


@pytest.mark.parametrize(("new", "words", "tag"), [
    ("    xs = [b[0] for b in loader]\n    ys = [b[1] for b in loader]\n"
     "    for x, y in zip(xs, ys):\n", "two different passes over the loader",
     "batches-unpaired"),
    ("    X, Y = loader.dataset.tensors\n    step = loader.batch_size\n"
     "    for x, y in ((X[i:i + step], Y[i:i + step]) for i in range(0, len(X), step)):\n",
     "in its stored order", "ignores-loader"),
    ("    first = next(iter(loader))\n    for _ in range(len(loader)):\n        x, y = first\n",
     "the same batch at every step", "same-batch"),
])
def test_a_loop_that_does_not_train_on_the_loaders_batches_is_caught_and_named(
        new: str, words: str, tag: str) -> None:
    """Inputs and labels from two passes, the dataset's stored order, or the first batch at
    every step: on an unshuffled loader the first two trained as the reference loop (full
    marks), the third was told of clipping or an edit of .grad. The graded epoch's loader
    shuffles, and each is named by the judge's replay of it."""
    found = verdicts(namespace(edited("train_one_epoch", LOOP, new)), TRAIN_CHECKS)
    assert set(failed(found)) == {part_d.TRAIN_ORDER}, failed(found)
    verdict = failed(found)[part_d.TRAIN_ORDER]
    assert words in verdict.message and verdict.mistake == tag, (verdict.message,
                                                                 verdict.mistake)


def test_a_loop_that_goes_over_the_loader_before_it_trains_keeps_its_points() -> None:
    """A count or a peek at one batch before the loop is one more pass: the epoch trains on
    the next, which is as right."""
    found = verdicts(namespace(edited(
        "train_one_epoch", LOOP,
        "    seen = sum(len(b[1]) for b in loader)\n    peek = next(iter(loader))\n" + LOOP)),
        TRAIN_CHECKS)
    assert not failed(found), {k: v.message for k, v in failed(found).items()}


def test_the_reference_training_loop_keeps_its_points() -> None:
    found = verdicts(namespace(), TRAIN_CHECKS)
    assert not failed(found), {k: v.message for k, v in failed(found).items()}


def test_softmax_with_an_eps_in_its_denominator_is_charged_by_its_values_check_once() -> None:
    """`e / (e.sum(...) + 1e-6)`: the values check charged the values, and the gradient check
    said "although the values are right" (its own bar for right values was looser). Since
    mistakes review 34 the values check names the eps and the gradient check, judged on that
    eps's own gradient, is not assessed separately (one mistake)."""
    found = verdicts(namespace(edited("softmax", "exps.sum(dim=dim, keepdim=True)",
                                      "(exps.sum(dim=dim, keepdim=True) + 1e-6)")), "softmax")
    assert set(failed(found)) == {part_b.SOFTMAX_VALUES}, failed(found)
    assert failed(found)[part_b.SOFTMAX_VALUES].mistake == "eps-in-the-sum"
    assert excused(found).get(part_b.SOFTMAX_GRAD) == part_b.SOFTMAX_VALUES


def test_evaluate_switching_back_to_train_mode_is_not_told_to_call_eval() -> None:
    """model.eval() first, then model.train() before each forward pass: told "call
    model.eval() first", which it did. The run shows train-mode forward passes; the words
    name the model.train() that switches it back."""
    source = edited("evaluate", "            logits = model(x)\n",
                    "            model.train()\n            logits = model(x)\n")
    found = verdict(namespace(source), part_d.EVAL_MODE, source)
    assert not found.passed
    message = found.message
    assert "although it calls model.eval()" in message and "model.train()" in message, message


def test_evaluate_without_eval_is_still_told_to_call_it() -> None:
    found = verdicts(namespace(edited("evaluate", "    model.eval()\n", "")), "evaluate")
    message = failed(found)[part_d.EVAL_MODE].message
    assert "call model.eval() first" in message, message
