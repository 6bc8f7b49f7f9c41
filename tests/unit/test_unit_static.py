"""check/static.py alone: facts read from a submission's source text, never executed."""

from __future__ import annotations

from pathlib import Path

from autograder.check.static import SourceFacts
from autograder.load.notebook import Cell, Submission


def facts(*sources: str) -> SourceFacts:
    cells = tuple(Cell(index=i, source=s) for i, s in enumerate(sources, 1))
    return SourceFacts.from_submission(Submission("s1", Path("s1.ipynb"), cells, "0" * 64))


def test_library_calls_by_attribute_alias_and_loss_class() -> None:
    found = facts("""
import torch
import torch.nn.functional as F
from torch.nn.functional import cross_entropy as ce
from torch import nn

def loss(a, b):
    x = F.mse_loss(a, b) + torch.abs(a).sum() + a.clamp(min=0).mean()
    return x + ce(a, b) + nn.L1Loss()(a, b)
""")
    calls = found.library_calls("loss")
    assert {"mse_loss", "abs", "sum", "clamp", "mean", "ce", "l1_loss"} <= calls
    assert found.library_calls("not_defined") == set()


def test_a_students_own_function_of_a_library_name_is_not_the_library() -> None:
    found = facts("from torch.nn.functional import softmax\n",
                  "def softmax(x):\n    return x.exp() / x.exp().sum()\n",
                  "def model(x):\n    return softmax(x)\n")
    assert "softmax" not in found.library_calls("model")


def test_the_last_definition_wins_and_a_broken_cell_is_skipped() -> None:
    found = facts("def f(x):\n    return x.sum()\n", "def f(:\n", "def f(x):\n    return x.mean()\n")
    assert found.library_calls("f") == {"mean"}


def test_cuda_mentions_but_not_the_cuda_module() -> None:
    found = facts("""
import torch

def hard(x):
    return x.to("cuda")

def method(x):
    return x.cuda()

def portable(x):
    return x.to("cuda" if torch.cuda.is_available() else "cpu")

def checks_only(x):
    return torch.cuda.is_available()
""")
    assert found.mentions_cuda("hard") and found.mentions_cuda("method")
    assert found.mentions_cuda("portable")  # a string "cuda" still counts: the message chooses
    assert not found.mentions_cuda("checks_only")
    assert not found.mentions_cuda("missing")


def test_uses_parameter_reads_loads_only() -> None:
    found = facts("def f(x, device):\n    device = 'cpu'\n    return x\n",
                  "def g(x, device):\n    return x.to(device)\n")
    assert not found.uses_parameter("f", "device")
    assert found.uses_parameter("g", "device")


def test_disables_grad_by_context_manager_or_decorator() -> None:
    found = facts("""
import torch

def a(m, x):
    with torch.no_grad():
        return m(x)

@torch.inference_mode()
def b(m, x):
    return m(x)

def c(m, x):
    with torch.set_grad_enabled(False), open("f") as fh:
        return m(x)

def d(m, x):
    return m(x)
""")
    assert found.disables_grad("a") and found.disables_grad("b") and found.disables_grad("c")
    assert not found.disables_grad("d") and not found.disables_grad("missing")


def test_the_source_is_parsed_only_when_a_check_asks() -> None:
    lazy = facts("def f(x):\n    return F.softmax(x)")
    assert lazy._functions is None  # nothing parsed while the notebook loads
    assert lazy.library_calls("f") == {"softmax"}
    assert lazy._functions is not None and set(lazy.functions) == {"f"}


def test_a_method_named_without_its_parentheses() -> None:
    found = facts("""
import torch

def get_device():
    return torch.device("cuda" if torch.cuda.is_available else "cpu")

def right():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")

def train(model):
    model.train
    model.eval()
""")
    assert found.names_uncalled("get_device", "is_available")
    assert not found.names_uncalled("right", "is_available")
    assert found.names_uncalled("train", "train")
    assert found.calls_attribute("right", "is_available")
    assert not found.calls_attribute("get_device", "is_available")  # named, never called
    assert not found.names_uncalled("train", "eval")
    assert not found.names_uncalled("not_defined", "train")


def test_a_call_of_a_notebook_function_by_its_name() -> None:
    found = facts("""
def train(model, x, device):
    x = x.to(get_device())
    return model(x)

def evaluate(model, x, device):
    pick = get_device
    return model(x.to(device))
""")
    assert found.calls_name("train", "get_device")
    assert not found.calls_name("evaluate", "get_device")  # named, never called
    assert not found.calls_name("not_defined", "get_device")


def test_calls_with_argument_reads_a_constant_first_argument_or_keyword() -> None:
    found = SourceFacts(("def a(x):\n    return x.argmax(dim=0)\n",
                         "def b(x):\n    return x.argmax(0) + x.max(1)\n",
                         "def c(x, d=0):\n    return x.argmax(dim=d), x.argmax(dim=1)\n",
                         "def d(x):\n    return x.argmax(dim=False)\n"))
    assert found.calls_with_argument("a", "argmax", "dim", 0)
    assert found.calls_with_argument("b", "argmax", "dim", 0)
    assert not found.calls_with_argument("b", "max", "dim", 0)
    assert not found.calls_with_argument("c", "argmax", "dim", 0)  # (a name: not read)
    assert not found.calls_with_argument("d", "argmax", "dim", 0)  # (False is not 0 here)
    assert not found.calls_with_argument("missing", "argmax", "dim", 0)


def test_a_call_on_a_line_of_its_own_is_found_and_a_with_block_is_not() -> None:
    bare = SourceFacts(("def evaluate(m, x):\n    torch.no_grad()\n    return m(x)\n",))
    block = SourceFacts(("def evaluate(m, x):\n    with torch.no_grad():\n        return m(x)\n",))
    named = SourceFacts(("def evaluate(m, x):\n    no_grad()\n    return m(x)\n",))
    assert bare.calls_on_its_own("evaluate", ("no_grad",))
    assert named.calls_on_its_own("evaluate", ("no_grad",))
    assert not block.calls_on_its_own("evaluate", ("no_grad",))
    assert not bare.calls_on_its_own("train_one_epoch", ("no_grad",))


def test_a_string_compared_by_identity() -> None:
    """(fresh eyes 62's `reduction is "mean"`: the words of the ignored-argument message)"""
    found = facts('''
def by_identity(x, reduction="mean"):
    if reduction is "mean":
        return x.mean()
    return x

def negated(x, reduction="mean"):
    return x if "none" is not reduction else x.sum()

def by_equality(x, reduction="mean"):
    if reduction == "mean" or reduction is None:
        return x.mean()
    return x
''')
    assert found.compares_text_by_identity("by_identity")
    assert found.compares_text_by_identity("negated")
    assert not found.compares_text_by_identity("by_equality")
    assert not found.compares_text_by_identity("not_defined")
