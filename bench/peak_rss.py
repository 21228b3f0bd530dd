"""Peak resident memory of a command run in a process of its own (shared by the memory benchmarks)."""

from __future__ import annotations

import subprocess
import sys
import time

_MEASURE = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
)


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS of ``cmd`` in MiB, wall seconds): ``cmd`` runs as the only child of a small wrapper."""
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return int(out.stdout.strip().splitlines()[-1]) / 1024, time.time() - t0
