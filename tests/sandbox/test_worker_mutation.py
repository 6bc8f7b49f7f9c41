"""In-place edits of a call's arguments (`worker._watch`, `_edited`): a tensor argument, and
the tensors nested in list, tuple and dict arguments, compared with what the request sent;
a list or dict whose own items were replaced counts too. Bounded in depth and in count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from autograder.sandbox import protocol, worker


def _mutated(function: Callable[..., Any], *values: Any, **keywords: Any) -> list[int | str]:
    """Which arguments `function` edits in place, found as `Worker._call` finds them: the
    arguments sent through the protocol, decoded, watched, then the function called."""
    frame = protocol.Tensors()
    sent = [protocol.encode(v, frame) for v in values]
    sent_kwargs = protocol.encode(keywords, frame)
    args = protocol.decode(sent, frame.items)
    kwargs = protocol.decode(sent_kwargs, frame.items)
    watched = worker._watch_arguments(args, sent, kwargs, sent_kwargs, frame.items)
    function(*args, **kwargs)
    return worker._edited_arguments(watched)


def _sub_(x: Any) -> None:
    x.sub_(1)


def test_a_top_level_tensor_edited_in_place_is_found_as_before() -> None:
    x, y = torch.ones(3), torch.zeros(2)
    assert _mutated(lambda a, b: a.add_(1), x, y) == [0]
    assert _mutated(lambda a, b: a + 1, x, y) == []
    nan = torch.tensor([float("nan"), 1.0])
    assert _mutated(lambda a: a.mul_(1), nan) == []  # a nan still in its place: no change


def test_tensors_nested_in_lists_tuples_and_dicts_are_watched() -> None:
    params = [torch.ones(2), torch.ones(3)]
    assert _mutated(lambda p, lr: p[1].sub_(lr), params, 0.1) == [0]
    assert _mutated(lambda p, lr: [t - lr for t in p], params, 0.1) == []
    pair = (torch.ones(2), [torch.zeros(2)])
    assert _mutated(lambda t: t[1][0].add_(1), pair) == [0]
    state = {"w": torch.ones(2), "b": {"inner": torch.zeros(1)}}
    assert _mutated(lambda d: d["b"]["inner"].fill_(3), state) == [0]
    assert _mutated(lambda d: {k: v for k, v in d.items()}, state) == []
    # which argument: the second holds the edited tensor
    assert _mutated(lambda a, b: b[0].mul_(2), [torch.ones(1)], [torch.ones(1)]) == [1]


def test_a_keyword_argument_edited_in_place_is_found_by_its_name() -> None:
    def weighted(x: Any, pos_weight: Any = None) -> Any:
        pos_weight -= 1  # (mistakes review 34: the caller's pos_weight changed)
        return x * pos_weight

    x, weight = torch.ones(3), torch.tensor([3.0, 0.5, 1.5])
    assert _mutated(weighted, x, pos_weight=weight) == ["pos_weight"]
    assert _mutated(lambda x, pos_weight=None: x * pos_weight, x, pos_weight=weight) == []
    assert _mutated(lambda x, w=None: w.unsqueeze_(0), x, w=weight) == ["w"]  # (its shape)
    assert _mutated(lambda x, w=None: x.add_(1), x, w=weight) == [0]
    assert _mutated(lambda x, w=None: w[0].add_(1), x, w=[weight]) == ["w"]  # nested too


def test_a_list_or_dict_whose_items_were_replaced_was_edited_in_place() -> None:
    def replace(p: list) -> None:
        p[0] = p[0] - 1  # a new tensor in the caller's list

    assert _mutated(replace, [torch.ones(2)]) == [0]
    assert _mutated(lambda p: p.append(torch.ones(1)), [torch.ones(2)]) == [0]
    assert _mutated(lambda d: d.pop("w"), {"w": torch.ones(2)}) == [0]
    assert _mutated(lambda d: d.update(w=torch.zeros(2)), {"w": torch.ones(2)}) == [0]
    assert _mutated(lambda p: list(reversed(p)), [torch.ones(2), torch.ones(2)]) == []


def test_watching_is_bounded_in_depth_and_count() -> None:
    deep: Any = torch.ones(1)
    for _ in range(worker.WATCH_DEPTH + 1):
        deep = [deep]

    def innermost(value: Any) -> None:
        while isinstance(value, list):
            value = value[0]
        value.add_(1)

    assert _mutated(innermost, deep) == []  # below the watched depth: not looked at
    shallow: Any = torch.ones(1)
    for _ in range(worker.WATCH_DEPTH):
        shallow = [shallow]
    assert _mutated(innermost, shallow) == [0]

    many = [torch.ones(1) for _ in range(worker.WATCH_TENSORS + 5)]
    assert _mutated(lambda p: p[0].add_(1), many) == [0]
    assert _mutated(lambda p: p[-1].add_(1), many) == []  # past the budget: not watched
    budget = [worker.WATCH_TENSORS]
    found: worker.Watched = []
    worker._watch(many, None, {}, 0, budget, found)
    assert budget == [0] and len(found) == worker.WATCH_TENSORS + 1  # the tensors and the list


def test_a_tensor_the_frame_did_not_send_is_compared_with_a_copy() -> None:
    x = torch.ones(2)
    found: worker.Watched = []
    worker._watch([x], None, {}, 0, [8], found)  # no form: a copy is taken
    _sub_(x)
    assert worker._edited(found)
