"""`make bench`: `python -m bench NAME ...` runs each benchmark named (`python -m
bench.NAME`; the Makefile's BENCHES) in a child process, even when one misses a
target, then exits non-zero naming those that missed.

The generated portfolio (O2C_BENCH_EVENTS facts, 1,000,000 by default) is
recorded and projected once: the benches that measure it get one throw-away
database by `--database`; the first to run fills it, the others measure it as it
is; it is dropped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext

from bench._support import FIGURES, throwaway_database

ON_THE_PORTFOLIO = ("portfolio", "directory", "workers")  # take `--database URL` (workers rebuilds it: last)


def main(argv: list[str] | None = None) -> None:
    names = sys.argv[1:] if argv is None else argv
    if not names:
        sys.exit("usage: python -m bench NAME ... (e.g. ingest portfolio directory: bench/NAME.py)")
    shared = any(name in ON_THE_PORTFOLIO for name in names)
    started, missed = time.perf_counter(), []
    with (
        tempfile.TemporaryDirectory(prefix="o2c_bench_") as folder,
        throwaway_database(prefix="o2c_bench_portfolio") if shared else nullcontext("") as portfolio,
    ):
        os.environ[FIGURES] = f"{folder}/figures.json"  # a bench's figure for another's target (share_figure)
        for name in names:
            print(f"\n== bench.{name}", flush=True)
            command = [sys.executable, "-m", f"bench.{name}"]
            if name in ON_THE_PORTFOLIO:
                command += ["--database", portfolio]
            if subprocess.run(command).returncode:
                missed.append(name)
    print(f"\n(make bench took {time.perf_counter() - started:.0f}s)")
    if missed:
        sys.exit(f"targets missed in: {' '.join(missed)}")


if __name__ == "__main__":
    main()
