"""Peak memory of a process tree, sampled in a background thread.

Every `interval` seconds the resident set sizes of the root process and all
of its descendants are summed. RSS counts pages shared between processes
(a worker forked from the zygote shares torch with it) once per process, so
its sum is an upper bound of what the tree really occupies; PSS (proportional
set size: a shared page counts 1/n in each of the n processes sharing it) sums
to what the tree really occupies.

Reading PSS walks every page table of a process (about 6 ms for one torch process here):
sampled every 50 ms over six processes, that took a third of a CPU away from what was
being measured. RSS (one cheap read per process) is sampled every `interval`; PSS once
every `pss_interval`, enough for a tree whose size is steady (a zygote, its judges and
their workers). `cpu_s` is what the sampling itself cost.
"""

from __future__ import annotations

import threading
import time

import psutil


class TreeMemory:
    def __init__(self, pid: int, interval: float = 0.05, include_root: bool = True,
                 pss_interval: float = 1.0) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.pss_every = max(1, round(pss_interval / interval))
        self.cpu_s = 0.0
        self.include_root = include_root
        self.peak_bytes = 0
        self.peak_pss_bytes = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self, with_pss: bool = True) -> tuple[int, int]:
        """(RSS, PSS) summed over the tree (PSS 0 unless asked)."""
        try:
            procs = self.root.children(recursive=True)
        except psutil.Error:
            return 0, 0
        if self.include_root:
            procs.append(self.root)
        rss = pss = 0
        for proc in procs:
            try:
                info = proc.memory_full_info() if with_pss else proc.memory_info()
            except psutil.Error:  # exited between listing and reading
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss) if with_pss else 0
        self.peak_processes = max(self.peak_processes, len(procs))
        return rss, pss

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.thread_time()
            rss, pss = self.sample(with_pss=self.samples % self.pss_every == 0)
            self.cpu_s += time.thread_time() - started
            self.peak_bytes = max(self.peak_bytes, rss)
            self.peak_pss_bytes = max(self.peak_pss_bytes, pss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
