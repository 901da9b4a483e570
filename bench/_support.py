"""Shared bench helpers: a throw-away PostgreSQL database, the real app served
by uvicorn in a child process, percentiles, and the table of results every
bench prints (each figure beside its target, PASS/FAIL) and exits by."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

ADMIN_URL = os.environ.get("O2C_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TOKEN = "bench-admin"  # admin implies every scope (ingest, read, audit)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def throwaway_database(prefix: str = "o2c_bench", keep: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database (its URL), dropped afterwards whatever happens
    (unless `keep`: then its URL is printed, to measure the views again)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    try:
        yield url
    finally:
        if keep:
            print(f"database kept: {url}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_from_env() -> Any:
    """The app as `o2c serve` builds it, configured by the environment the bench
    passes to the child process (uvicorn's `--factory` calls it)."""
    from o2c.api.app import create_app
    from o2c.api.auth import Keyring
    from o2c.cli import tune_garbage_collection
    from o2c.config import Settings

    projection = os.environ.get("O2C_BENCH_PROJECTION", "process")
    app = create_app(Settings.from_env(), Keyring.parse(f"{TOKEN}=admin"), projection=projection)  # type: ignore[arg-type]
    tune_garbage_collection()  # as `o2c serve` does
    return app


PROJECTING = b"projecting from position"  # what `o2c project` prints once it follows the ledger


def _echo_until(process: subprocess.Popen[bytes], said: bytes) -> threading.Event:
    """Passes the process's standard output on, from a thread; the event is set
    once a line has contained `said`."""
    seen = threading.Event()

    def echo() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
            if said in line:
                seen.set()

    threading.Thread(target=echo, name="server output", daemon=True).start()
    return seen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(
    database_url: str, *, project_in_process: bool = True, projection: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real app served by uvicorn in a child process (its own interpreter,
    as in production), on a free loopback port: yields its base URL and process
    once it answers, and its projector process (if any) follows the ledger."""
    port = _free_port()
    env = {
        **os.environ,
        "O2C_DATABASE_URL": database_url,
        # As `o2c serve` runs by default (a projector process beside the API), or with none.
        "O2C_BENCH_PROJECTION": projection or ("process" if project_in_process else "none"),
    }
    command = [sys.executable, "-m", "uvicorn", "bench._support:app_from_env", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    projecting = _echo_until(process, PROJECTING)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the o2c server exited with {process.returncode}")
            try:
                # A projector process takes a second or so to start: measured as it runs, not as it starts.
                up = httpx.get(f"{base}/health", timeout=1).status_code == 200
                if up and (env["O2C_BENCH_PROJECTION"] != "process" or projecting.is_set()):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the o2c server (and its projector) did not start within 60 s")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# `make bench` (bench/__main__.py) names a file where one bench leaves a figure for another of
# the same run: the served ingestion rate, which the projection's catch-up must reach.
FIGURES = "O2C_BENCH_FIGURES"


def _shared() -> dict[str, float]:
    path = Path(os.environ.get(FIGURES, ""))
    return orjson.loads(path.read_bytes() or b"{}") if path.is_file() else {}


def share_figure(name: str, value: float) -> None:
    if os.environ.get(FIGURES):
        Path(os.environ[FIGURES]).write_bytes(orjson.dumps({**_shared(), name: value}))


def shared_figure(name: str) -> float | None:
    value = _shared().get(name)
    return None if value is None else float(value)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    figure: str
    target: str
    passed: bool | None  # None: for information, or skipped (nothing to measure)
    skipped: bool = False

    @property
    def verdict(self) -> str:
        if self.skipped:
            return "skip"
        return "info" if self.passed is None else ("PASS" if self.passed else "FAIL")


def latency_result(name: str, spent: Sequence[float], p99_target: float | None, skip_reason: str = "") -> Result:
    """p50 and p99 of `spent` (ms) against `p99 < target`; with no samples, skipped
    for `skip_reason`, counted neither as a pass nor as a miss."""
    target = "" if p99_target is None else f"p99 < {p99_target:g} ms"
    if not spent:
        return Result(name, f"skipped: {skip_reason or 'nothing to measure'}", target, None, skipped=True)
    p50, p99 = percentile(spent, 50), percentile(spent, 99)
    figure = f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  (n={len(spent)})"
    return Result(name, figure, target, None if p99_target is None else p99 < p99_target)


def print_table(results: Sequence[Result]) -> None:
    width = max(len(r.name) for r in results)
    figure_width = max(44, *(len(r.figure) for r in results))
    print(f"\n{'measure':<{width}}  {'figure':<{figure_width}}  {'target':<22}  result")
    for r in results:
        print(f"{r.name:<{width}}  {r.figure:<{figure_width}}  {r.target:<22}  {r.verdict}")


def missed(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if r.passed is False]


def conclude(results: Sequence[Result], started: float | None = None) -> None:
    """Prints the table (and the time since `started`, a perf_counter), then exits
    non-zero if a target was missed: `make bench` names the bench."""
    print_table(results)
    if started is not None:
        print(f"\n(bench took {time.perf_counter() - started:.0f}s)")
    if failed := missed(results):
        print(f"\n{len(failed)} target(s) missed: {', '.join(r.name.strip() for r in failed)}")
        sys.exit(1)
