"""The projection's catch-up with parking in place, against the code before it
(issue 8): `python -m bench.catchup`.

One generated portfolio is recorded once on a throw-away PostgreSQL database;
each run then projects it from zero on a copy of that database (`CREATE
DATABASE … TEMPLATE`), in a child interpreter of its own:
- `before`: the projector of revision BEFORE (default: the last commit without
  dead letters), its source taken with `git archive`, so the baseline is
  measured in the same run, on the same log and the same machine;
- `now`: this tree's projector, nothing parked;
- `now, one account parked`: the same with a fault injected on one busy
  account from its second fact on, so the parking path itself is timed.
Runs alternate (`--rounds`, default 2) and the best of each is kept: the
machine's noise only ever slows a run down (the projector's own CPU time is shown
beside it: steadier than the wall clock on a shared machine). Both sides review
risk inside their timing: `before` as its last batches did (up to 500 accounts
twice), `now` every account its catch-up touched, each once. Exits non-zero when `now` is more
than TOLERANCE below `before`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from bench._support import ADMIN_URL, Result, conclude, throwaway_database
from bench.generate import Shape
from bench.portfolio import analyze, ingest
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger

BEFORE = "0903a45"  # main before the dead-letter work (issue 8)
TOLERANCE = 0.05  # catch-up figures on this machine move by a few percent run to run
ROOT = Path(__file__).resolve().parent.parent

# Run in the child: the projection from zero, on whatever `o2c` is first on sys.path.
PROJECT = """
import json, sys, time
from unittest import mock
from sqlalchemy import text
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import migrate, sync_engine
from o2c.projections.projector import ReadModelProjection

url, faulty = sys.argv[1], sys.argv[2] or None
migrate(url)
ledger = Ledger(eventstore_env(url))
# As the projector runs in production (`o2c serve`, `project`, `rebuild`): with the
# collector tuned for a long-running process, on both sides (each revision's own).
from o2c.cli import tune_garbage_collection
tune_garbage_collection()
projection = ReadModelProjection(ledger, sync_engine(url), ledger.clock)
real = ReadModelProjection._project

def failing(self, event, position, batch):
    if event.originator_id == faulty and event.originator_version >= 2:
        raise RuntimeError("fault injected by bench.catchup")
    real(self, event, position, batch)

with mock.patch.object(ReadModelProjection, "_project", failing if faulty else real):
    started, cpu = time.perf_counter(), time.process_time()
    events = projection.run_until_caught_up()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
parked = 0
if faulty:
    with projection.engine.connect() as conn:
        parked = conn.execute(text("SELECT count(*) FROM rm_parked")).scalar()
print(json.dumps({"events": events, "seconds": seconds, "cpu": cpu, "parked": parked}))
"""


@contextmanager
def source_of(revision: str) -> Iterator[Path]:
    """The `src/` of a revision of this repository (its `migrations/` beside it), in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="o2c-before-") as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src", "migrations"],
                                 check=True, capture_output=True).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder) / "src"


@contextmanager
def copy_of(template_url: str) -> Iterator[str]:
    name = f"o2c_bench_copy_{uuid.uuid4().hex[:12]}"
    template = template_url.rpartition("/")[2]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def project(url: str, source: Path | None, faulty: str = "") -> dict[str, float]:
    env = dict(os.environ)
    if source is not None:  # ahead of the installed (editable) o2c
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    with copy_of(url) as copy:
        child = subprocess.run([sys.executable, "-c", PROJECT, copy, faulty], env=env,
                               capture_output=True, text=True)  # fmt: skip
    if child.returncode:
        raise RuntimeError(f"the projection run failed:\n{child.stderr[-4000:]}")
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def busiest_account(url: str, events_table: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT originator_id FROM {events_table} WHERE originator_id NOT LIKE 'o2c:%' "
            "GROUP BY originator_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0])


def run(shape: Shape, before: str, rounds: int) -> list[Result]:
    with throwaway_database() as url:
        ledger = Ledger(eventstore_env(url))
        try:
            count, in_record, _ = ingest(ledger, shape)
            events_table = ledger.store.events_table_name
        finally:
            ledger.close()
        analyze(url)
        faulty = busiest_account(url, events_table)
        print(f"recorded {count:,} facts ({count / in_record:,.0f} facts/s); fault on {faulty}", flush=True)
        best: dict[str, float] = {}
        parked = 0.0
        with source_of(before) as old:
            for round_ in range(1, rounds + 1):
                for name, source, fault in (("before", old, ""), ("now", None, ""), ("parked", None, faulty)):
                    figures = project(url, source, fault)
                    rate = figures["events"] / figures["seconds"]
                    parked = figures["parked"] if fault else parked
                    print(f"  round {round_} {name:7}: {figures['events']:,.0f} events in "
                          f"{figures['seconds']:.1f}s (projector CPU {figures['cpu']:.1f}s) = {rate:,.0f} events/s",
                          flush=True)  # fmt: skip
                    best[name] = max(best.get(name, 0.0), rate)
    ratio, parked_ratio = best["now"] / best["before"], best["parked"] / best["before"]
    floor = 1 - TOLERANCE
    return [
        Result(f"catch-up before dead letters ({before})", f"{best['before']:,.0f} events/s", "baseline", None),
        Result("catch-up now, nothing parked", f"{best['now']:,.0f} events/s (x{ratio:.2f})",
               f">= {floor:.2f} x before", ratio >= floor),
        Result(f"catch-up now, one account parked ({parked:,.0f} facts)",
               f"{best['parked']:,.0f} events/s (x{parked_ratio:.2f})", f">= {floor:.2f} x before",
               parked_ratio >= floor),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.catchup", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("O2C_BENCH_CATCHUP_EVENTS", 100_000)))
    parser.add_argument("--before", default=BEFORE, help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    shape = Shape(accounts=max(args.events // 100, 10), events=args.events)
    conclude(run(shape, args.before, args.rounds))


if __name__ == "__main__":
    main()
