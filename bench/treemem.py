"""Peak memory of a process tree, sampled in a background thread.

Every `interval` seconds the resident set sizes of the root process and all
of its descendants are summed. RSS counts pages shared between processes
(a worker forked from the zygote shares torch with it) once per process, so
its sum is an upper bound of what the tree really occupies; PSS (proportional
set size: a shared page counts 1/n in each of the n processes sharing it) sums
to what the tree really occupies.
"""

from __future__ import annotations

import threading

import psutil


class TreeMemory:
    def __init__(self, pid: int, interval: float = 0.05, include_root: bool = True) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.include_root = include_root
        self.peak_bytes = 0
        self.peak_pss_bytes = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[int, int]:
        """(RSS, PSS) summed over the tree."""
        try:
            procs = self.root.children(recursive=True)
        except psutil.Error:
            return 0, 0
        if self.include_root:
            procs.append(self.root)
        rss = pss = 0
        for proc in procs:
            try:
                info = proc.memory_full_info()
            except psutil.Error:  # exited between listing and reading
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        self.peak_processes = max(self.peak_processes, len(procs))
        return rss, pss

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = self.sample()
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
