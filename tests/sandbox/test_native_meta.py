"""The emulated GPU runs PyTorch's C++ meta kernels where they exist (`harness.
prefer_native_meta_kernels`, called by the zygote): every operator that had a meta kernel
before still has one, and a training step on `meta` gives the shapes and devices it gave.
In a child process: the change is to torch's dispatcher, for the life of the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent('''
    import torch, torch.nn.functional as F
    from torch._decomp import global_decomposition_table
    from torch._ops import OpOverload
    from autograder.sandbox import harness, probes

    def step():
        model = probes.build("bn_dropout_mlp").to("meta")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, y = torch.randn(16, probes.IN_FEATURES), torch.randint(0, probes.NUM_CLASSES, (16,))
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x.to("meta")), y.to("meta"))
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            out = model.eval()(x.to("meta"))
            hits = (out.argmax(1) == y.to("meta")).sum()
        return [(tuple(t.shape), str(t.device), str(t.dtype)) for t in (loss, out, hits)]

    ops = {op for table in global_decomposition_table.values() for op in table
           if isinstance(op, OpOverload)}
    had = {op for op in ops if torch._C._dispatch_has_kernel_for_dispatch_key(op.name(), "Meta")}
    before = step()
    native = harness.prefer_native_meta_kernels()
    lost = sorted(op.name() for op in had
                  if not torch._C._dispatch_has_kernel_for_dispatch_key(op.name(), "Meta"))
    assert native > 100, native
    assert not lost, lost[:10]
    assert step() == before, (step(), before)
    assert harness.prefer_native_meta_kernels() == 0  # a second call finds nothing to change
    assert step() == before
    print("ok", native)
''')


def test_every_meta_kernel_survives_and_a_training_step_gives_the_same_shapes() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")
