"""Lab 5 autograder: load → run in sandbox → check → score → report."""

import os

__version__ = "0.1.0"

# No process of the grader uses a GPU, and none may start CUDA: a CUDA build of torch that
# sees a GPU starts a thread per device at the first backward pass, after which no child
# forked from that process can use autograd ("Unable to handle autograd's threading in
# combination with fork-based multiprocessing"), and a process that asked
# `torch.cuda.is_available()` forks children that cannot use CUDA at all. The batch forks
# its judges and the zygote forks every worker: on a GPU host, every submission crashed
# (measured on an H200). Hidden before torch first looks (CUDA reads this when it starts),
# the GPU is absent from the batch, its judges, the zygote and every worker, and the device
# checks run on the emulated GPU (`sandbox.devices`) on every host alike: the same grade
# on a laptop, a CPU server and a GPU server. `bench/device_check.sh` checks the emulation
# against a real GPU's answers.
NO_GPU = {"CUDA_VISIBLE_DEVICES": ""}
os.environ.update(NO_GPU)
