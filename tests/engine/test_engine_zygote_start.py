"""The zygote starts without garbage collection (its imports would rescan the heap again
and again) and freezes what it holds: a worker must still collect its own garbage, and
must find the zygote's objects frozen (its collections then never write to their pages)."""

from __future__ import annotations

from tests.engine.conftest import one_cell_session

CELL = """
import gc, weakref
enabled = gc.isenabled()
frozen = gc.get_freeze_count()
class Node:
    pass
node = Node()
node.me = node                      # a cycle: only the collector can free it
ref = weakref.ref(node)
del node
for _ in range(3):                  # enough allocations for automatic collections to run
    junk = [[i] for i in range(20000)]
freed_by_itself = ref() is None
"""


def test_a_worker_collects_its_own_garbage_and_finds_the_zygotes_objects_frozen(zygote) -> None:
    with one_cell_session(zygote, CELL) as session:
        assert session.get_var("enabled") is True
        assert session.get_var("freed_by_itself") is True
        assert session.get_var("frozen") > 100_000  # torch and the harness, from the zygote
