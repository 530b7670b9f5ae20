"""Process and thread statistics from Linux's /proc, for the benchmarks."""

from __future__ import annotations

import os


def proc_stat(task: int | str) -> tuple[int, float]:
    """(parent pid, CPU seconds) of a live process (its pid) or thread
    (``"self/task/<native id>"``), from ``/proc/<task>/stat``."""
    with open(f"/proc/{task}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
