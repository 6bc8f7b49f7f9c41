#!/usr/bin/env bash
# What only a GPU host shows, in one prepared run (the device tool's lease is short):
#
#   1. facts: the GPU, torch, where the driver's libraries are, cgroups;
#   2. (EXPERIMENTS=0 skips them) two experiments on CUDA itself: does it start under an address-space rlimit (the
#      sandbox's friendly memory limit), and in a child forked after the parent asked
#      `torch.cuda.is_available()` (what a zygote must not do);
#   3. the sandbox's capabilities on this host;
#   4. the bundled examples and the fixture submissions graded on the GPU host (the grader
#      hides the GPU from its processes: their gradebook must equal a CPU machine's, check
#      by check: unpack gpu-grade.tgz here, grade the same folders here, then
#      `bench/compare_grades.py CPU_OUT gpu-grade`);
#   5. the self-test's mutants and alternatives graded there: every mistake caught by its
#      check and every correct alternative at full marks, as on the CPU;
#   6. the emulated GPU against the real one (`bench/device_fidelity.py`): every function
#      of the lab's GPU check, from every module of the self-test's corpus, called on both;
#   7. the device tests of the project's own suite.
#
# Usage (repository root, on the GPU host): OUT=folder bash bench/device_check.sh
# Wheels for packages the host lacks may wait in .whl/ (installed first, no index).
set -u
OUT=${OUT:-/tmp/device-check}
PY=${PY:-python3}
WORKERS=${WORKERS:-12}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
stage() { echo; echo "== $* ($(date +%T))"; }

{
stage facts
nvidia-smi -L 2>&1
"$PY" -c "import sys, torch; print(sys.version.split()[0], sys.prefix, sys.base_prefix); print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
ldconfig -p 2>/dev/null | grep -E "libcuda\.so|libseccomp" ; ls /dev | grep nvidia | tr '\n' ' '; echo
id; head -5 /proc/self/cgroup; grep cgroup /proc/mounts | head -8; nproc; free -g | head -2

if [ "${EXPERIMENTS:-1}" = 1 ]; then
stage "CUDA under an address-space limit"
for extra in 2048 16384 262144; do
  "$PY" - "$extra" <<'EOF'
import resource, sys, torch
extra = int(sys.argv[1])
size = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + (extra << 20),) * 2)
try:
    print(f"+{extra} MiB: is_available", torch.cuda.is_available(), end="; ")
    print("alloc", (torch.ones(3, device="cuda") * 2).sum().item())
except Exception as e:
    print("failed:", type(e).__name__, str(e).splitlines()[0][:160])
EOF
done

stage "CUDA in a child forked after is_available()"
"$PY" - <<'EOF'
import os, torch
print("parent is_available", torch.cuda.is_available(), "initialized", torch.cuda.is_initialized())
pid = os.fork()
if pid == 0:
    try:
        print("child alloc", torch.ones(3, device="cuda").sum().item(), flush=True)
        os._exit(0)
    except Exception as e:
        print("child failed:", type(e).__name__, str(e).splitlines()[0][:160], flush=True)
        os._exit(1)
print("child exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
EOF
fi

stage "install the wheels the host lacks"
if ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile .whl/*.whl 2>&1 | tail -3
fi
"$PY" -c "import autograder.cli, pydantic, nbformat, IPython; print('grader imports ok')"

stage "sandbox capabilities"
timeout 60 "$PY" - <<'EOF'
from autograder.sandbox.client import Zygote
z = Zygote([])
print(z.info)
z.close()
EOF
} > "$OUT/facts.txt" 2>&1
cat "$OUT/facts.txt"

stage "grade the examples and the fixtures on the GPU" | tee "$OUT/grade.log"
timeout 120 "$PY" -m autograder grade examples/submissions tests/fixtures/submissions \
  --out /tmp/gpu-grade --no-progress --workers "$WORKERS" >> "$OUT/grade.log" 2>&1
echo "rc $?" >> "$OUT/grade.log"; tail -5 "$OUT/grade.log"
tar -czf "$OUT/gpu-grade.tgz" -C /tmp gpu-grade 2>/dev/null

stage "self-test on the GPU: mutants and alternatives" | tee "$OUT/selftest.txt"
timeout ${SELFTEST_S:-200} "$PY" -m autograder selftest --workers "$WORKERS" \
  --out /tmp/gpu-selftest >> "$OUT/selftest.txt" 2>&1
echo "rc $?" >> "$OUT/selftest.txt"; tail -25 "$OUT/selftest.txt"
cp /tmp/gpu-selftest/gradebook.csv "$OUT/selftest-gradebook.csv" 2>/dev/null

stage "the emulated GPU against the real one" | tee "$OUT/fidelity.txt"
timeout ${FIDELITY_S:-150} "$PY" bench/device_fidelity.py --json "$OUT/fidelity.json" >> "$OUT/fidelity.txt" 2>&1
echo "rc $?" >> "$OUT/fidelity.txt"; grep -v "^DIFFERENT" "$OUT/fidelity.txt" | tail -6; grep -c "^DIFFERENT" "$OUT/fidelity.txt"

stage "the suite's device tests" | tee "$OUT/pytest.txt"
timeout 60 "$PY" -m pytest -q -x -p no:cacheprovider tests/sandbox/test_devices.py \
  tests/solutions/test_reference_training.py tests/engine/test_engine_switches.py >> "$OUT/pytest.txt" 2>&1
echo "rc $?" >> "$OUT/pytest.txt"; tail -15 "$OUT/pytest.txt"
