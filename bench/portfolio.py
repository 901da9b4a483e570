"""Portfolio-scale benchmark of the read model (issue 3): `python -m bench.portfolio`.

On a throw-away PostgreSQL database: records a generated portfolio (10,000
accounts, ~1,000,000 facts by default) through the ledger, then measures
(a) the projection's catch-up from zero, beside the ingestion rate just seen;
(b) the views' latency over real HTTP (the app served by uvicorn, the
projection not running), and the collector's (issue 4: the agenda and the
monthly report, bench/collections.py); (c) the same portfolio aging computed
on the fly from the raw event log with one SQL query, as ERP reports compute
aging from ledger entries, payment plans followed (bench/on_the_fly.py) —
checked to give the same totals as the view. Prints each figure beside its
target; exits non-zero if one is missed.

Smaller runs: `--events 100000` (or O2C_BENCH_EVENTS); accounts default to one
per hundred facts (`--accounts`, O2C_BENCH_ACCOUNTS). `--profile` runs the
catch-up under cProfile and prints where its time goes. `--keep` leaves the
database in place (its URL printed); `--database URL` measures the views of
such a database again, with no ingest or catch-up — or, if it holds no facts
yet, records and projects the portfolio into it first (how `make bench` shares
one database between this bench and bench.directory).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import httpx
import orjson
import psycopg

from bench._support import (
    AUTH,
    Result,
    conclude,
    latency_result,
    missed,
    percentile,
    served,
    share_figure,
    shared_figure,
    throwaway_database,
)
from bench.collections import collections_latencies
from bench.generate import Shape, account_code, batches, portfolio
from bench.on_the_fly import on_the_fly_totals
from o2c.api.envelopes import parse_body
from o2c.cli import tune_garbage_collection
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import migrate, sync_engine, tidy
from o2c.projections.projector import ReadModelProjection

BATCH = 500  # envelopes per Ledger.record, as an ERP posts them
ACCOUNT_CALLS, PORTFOLIO_CALLS, WARMUP = 1000, 50, 10
ACCOUNT_P99_MS, PORTFOLIO_P99_MS, BASELINE_RATIO = 10.0, 300.0, 100.0


# -- generating and recording -----------------------------------------------------------------


def ingest(ledger: Ledger, shape: Shape) -> tuple[int, float, float]:
    """Records the portfolio; returns (facts, seconds in Ledger.record, seconds overall)."""
    recorded, in_record = 0, 0.0
    started = time.perf_counter()
    for chunk in batches(portfolio(shape), BATCH):
        envelopes, _ = parse_body(orjson.dumps({"events": chunk}))  # parsed as the API parses a POST
        before = time.perf_counter()
        outcomes = ledger.record(envelopes)
        in_record += time.perf_counter() - before
        recorded += sum(1 for o in outcomes if o.status == "recorded")
        if recorded // 100_000 != (recorded - len(chunk)) // 100_000:
            print(f"  … {recorded:,} facts recorded", flush=True)
    return recorded, in_record, time.perf_counter() - started


def analyze(database_url: str) -> None:
    # What autovacuum would do after a bulk load, done now so plans are the steady state's.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def check_still_projected(database_url: str) -> None:
    # The served app migrates at start: a migration that empties the read model
    # (one written while the bench ran) would make every view answer 404.
    with psycopg.connect(database_url) as conn:
        accounts = conn.execute("SELECT count(*) FROM rm_accounts").fetchone()
    if not accounts or not accounts[0]:
        raise RuntimeError("the read model is empty: did a migration reset it?")


def catch_up(projection: ReadModelProjection, profile: bool) -> tuple[int, float]:
    """As `o2c rebuild` and `o2c project` run it: the collector tuned (cli.tune_garbage_collection)."""
    tune_garbage_collection()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    count = projection.run_until_caught_up()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        print("\n  catch-up profile (under cProfile, so slower): by own time, then cumulative")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("o2c|psycopg/cursor", 30)
    return count, elapsed


# -- views over HTTP ------------------------------------------------------------------------------


def timed_calls(client: httpx.Client, urls: Sequence[str]) -> list[float]:
    """Milliseconds of each GET, in order (after a few unmeasured warm-up calls)."""
    for url in urls[:WARMUP]:
        client.get(url).raise_for_status()
    spent = []
    for url in urls:
        before = time.perf_counter()
        response = client.get(url)
        spent.append((time.perf_counter() - before) * 1000)
        response.raise_for_status()
    return spent


def as_of_dates(shape: Shape) -> list[date]:
    """Dates across the period and after it: a past date is a query, whichever it is."""
    end = shape.end
    return [end, end - timedelta(days=30), end - timedelta(days=90), end - timedelta(days=200),
            end - timedelta(days=365), shape.start + timedelta(days=45), datetime.now(UTC).date()]  # fmt: skip


def view_latencies(base: str, shape: Shape, rng: random.Random) -> dict[str, list[float]]:
    codes = [account_code(n) for n in range(1, shape.accounts + 1)]
    dates = as_of_dates(shape)

    def some_dates(count: int) -> list[date]:
        return [dates[i % len(dates)] for i in range(count)]

    views: dict[str, list[str]] = {
        "account summary": [f"/v1/accounts/{rng.choice(codes)}" for _ in range(ACCOUNT_CALLS)],
        "account aging": [f"/v1/accounts/{rng.choice(codes)}/aging?as_of={d}" for d in some_dates(ACCOUNT_CALLS)],
        "portfolio aging totals": [f"/v1/aging?as_of={d}&limit=1" for d in some_dates(PORTFOLIO_CALLS)],
        "portfolio aging, 500-row page": [f"/v1/aging?as_of={d}" for d in some_dates(PORTFOLIO_CALLS)],
        "portfolio DSO (countback)": [f"/v1/dso?as_of={d}" for d in some_dates(PORTFOLIO_CALLS)],
        "top-20 exposure": ["/v1/exposure?top=20"] * PORTFOLIO_CALLS,
    }
    with httpx.Client(base_url=base, headers=AUTH, timeout=60) as client:
        return {name: timed_calls(client, urls) for name, urls in views.items()}


def view_totals(base: str, as_of: date) -> dict[str, str]:
    with httpx.Client(base_url=base, headers=AUTH, timeout=60) as client:
        response = client.get("/v1/aging", params={"as_of": as_of.isoformat(), "limit": 1})
        response.raise_for_status()
        totals: dict[str, str] = response.json()["totals"]
        return totals


# -- report ---------------------------------------------------------------------------------------------


def load(url: str, shape: Shape, profile: bool) -> list[Result]:
    """Records the portfolio, then projects it from zero: the rates of both."""
    ledger = Ledger(eventstore_env(url))
    try:
        count, in_record, overall = ingest(ledger, shape)
        ingest_rate = count / in_record
        print(f"ingest: {count:,} facts; Ledger.record {in_record:.1f}s = {ingest_rate:,.0f} facts/s "
              f"(with generating and parsing: {overall:.1f}s = {count / overall:,.0f}/s)", flush=True)  # fmt: skip
        migrate(url)
        analyze(url)
        projection = ReadModelProjection(ledger, sync_engine(url), ledger.clock)
        projected, elapsed = catch_up(projection, profile)
        catch_up_rate = projected / elapsed
        share_figure("catch_up_events_per_s", catch_up_rate)  # bench.workers' baseline on the same facts
        print(f"catch-up: {projected:,} events in {elapsed:.1f}s = {catch_up_rate:,.0f} events/s", flush=True)
        tidy(projection.engine)  # as `o2c rebuild` leaves a replayed read model
        projection.engine.dispose()
        analyze(url)
        # Issue 11: as fast as the served ingestion of bench.ingest in the same `make bench`; alone, as
        # fast as Ledger.record here (no HTTP: a stricter target).
        served = shared_figure("served_events_per_s")
        target, versus = (served, "served ingest") if served else (ingest_rate, "Ledger.record")
        with psycopg.connect(url) as conn:  # for sizing (README): the ledger and the read model
            size = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]
    finally:
        ledger.close()
    return [
        Result("ingest (Ledger.record, 500/batch)", f"{ingest_rate:,.0f} facts/s", "", None),
        Result("database size (ledger + read model)", f"{size / 2**30:.2f} GiB, {size / count:,.0f} bytes a fact",
               "", None),
        Result("projection catch-up from zero", f"{catch_up_rate:,.0f} events/s", f">= {versus} ({target:,.0f}/s)",
               catch_up_rate >= target),
    ]  # fmt: skip


def measure_views(url: str, shape: Shape) -> list[Result]:
    """The views over HTTP, then the on-the-fly baseline checked against them."""
    results: list[Result] = []
    rng = random.Random(shape.seed)
    with served(url, project_in_process=False) as (base, _):
        check_still_projected(url)
        latencies = view_latencies(base, shape, rng)
        collector = collections_latencies(base, url, shape)
        checked = [shape.end, shape.end - timedelta(days=200), shape.start + timedelta(days=45)]
        from_view = {d: view_totals(base, d) for d in checked}
    targets: dict[str, float | None] = {
        "account summary": ACCOUNT_P99_MS, "account aging": ACCOUNT_P99_MS,
        "portfolio aging totals": PORTFOLIO_P99_MS, "portfolio aging, 500-row page": None,
        "portfolio DSO (countback)": PORTFOLIO_P99_MS, "top-20 exposure": ACCOUNT_P99_MS,
    }  # fmt: skip
    for name, spent in latencies.items():
        results.append(latency_result(name, spent, targets[name]))
    results.extend(latency_result(t.name, t.spent_ms, t.p99_target_ms, t.skip_reason) for t in collector)
    ledger = Ledger(eventstore_env(url))
    events_table = ledger.store.events_table_name
    ledger.close()
    baseline_ms = []
    for as_of in checked:
        totals, seconds = on_the_fly_totals(url, events_table, as_of)
        baseline_ms.append(seconds * 1000)
        same = totals == from_view[as_of]
        print(f"on the fly at {as_of}: {seconds:.2f}s, totals {'match the view' if same else 'DIFFER'}"
              + ("" if same else f"\n  sql:  {totals}\n  view: {from_view[as_of]}"), flush=True)  # fmt: skip
        results.append(Result(f"on-the-fly totals = view at {as_of}", "same" if same else "DIFFERENT",
                              "same totals", same))  # fmt: skip
    view_p50 = percentile(latencies["portfolio aging totals"], 50)
    baseline = percentile(baseline_ms, 50)
    results.append(Result("on-the-fly aging from the log (SQL)", f"p50 {baseline:,.0f} ms (n={len(baseline_ms)})",
                          "", None))  # fmt: skip
    ratio = baseline / view_p50
    results.append(Result("ratio on-the-fly / view (p50)", f"{ratio:,.0f}x", f">= {BASELINE_RATIO:g}x",
                          ratio >= BASELINE_RATIO))  # fmt: skip
    return results


def recorded_facts(url: str) -> int:
    """How many facts the database's ledger holds (0 for a database just created)."""
    ledger = Ledger(eventstore_env(url))
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def loaded(url: str, shape: Shape, profile: bool = False) -> list[Result]:
    """The portfolio recorded and projected into `url` unless it holds facts already
    (then nothing is measured here: it was loaded by an earlier bench or run)."""
    if recorded_facts(url):
        print(f"measuring {url}: its portfolio was recorded and projected before", flush=True)
        return []
    return load(url, shape, profile)


def run(shape: Shape, profile: bool, keep: bool = False, database: str | None = None) -> list[Result]:
    print(f"portfolio: {shape.accounts:,} accounts, ~{shape.events:,} facts, "
          f"{shape.start} to {shape.end}, seed {shape.seed}", flush=True)  # fmt: skip
    if database:
        return loaded(database, shape, profile) + measure_views(database, shape)
    with throwaway_database(keep=keep) as url:
        return load(url, shape, profile) + measure_views(url, shape)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def shape_arguments(parser: argparse.ArgumentParser) -> None:
    """The portfolio's size and seed, as every bench measuring it takes them (environment as defaults)."""
    parser.add_argument("--events", type=int, default=_env_int("O2C_BENCH_EVENTS") or 1_000_000)
    parser.add_argument("--accounts", type=int, default=_env_int("O2C_BENCH_ACCOUNTS"))
    parser.add_argument("--seed", type=int, default=_env_int("O2C_BENCH_SEED") or Shape.seed)


def shape_of(args: argparse.Namespace) -> Shape:
    return Shape(accounts=args.accounts or max(args.events // 100, 10), events=args.events, seed=args.seed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.portfolio", description=__doc__.splitlines()[0])
    shape_arguments(parser)
    parser.add_argument("--profile", action="store_true", help="profile the catch-up with cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    parser.add_argument("--database", help="measure the views of a database kept by --keep (same shape); "
                        "an empty one gets the portfolio recorded and projected first")  # fmt: skip
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(shape_of(args), args.profile, args.keep, args.database)
    if not args.profile and any(r.name.startswith("projection") for r in missed(results)):
        print("\nthe catch-up misses its target: `--profile` prints where its time goes")
    conclude(results, started)


if __name__ == "__main__":
    main()
