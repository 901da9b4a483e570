"""The account directory at portfolio scale (issue 9): `python -m bench.directory`.

Pages of 100 of `GET /v1/accounts` over real HTTP (the app served by uvicorn, no
projection running), p50 and p99 per query shape: each sort both ways, each
filter, a search by prefix and one by "contains", a next page of each sort; for
information, the whole directory as CSV and a fresh server's first page (what the
first request after the read model moves pays: the day's overdue figures worked
out). Target: p99 < 50 ms for every shape at 10,000 accounts / 1,000,000 facts on
PostgreSQL; exits non-zero if one misses it.

By default the portfolio of bench.portfolio is recorded and projected on a
throw-away database (`--events`, `--accounts`, `--seed` and their environment
variables as there); `--database URL` measures a database kept by `python -m
bench.portfolio --keep` (the served app migrates its read model first) with no
ingest or catch-up, or records and projects the portfolio into it first if it
holds no facts yet (`make bench` shares one database with bench.portfolio).
"""

from __future__ import annotations

import argparse
import random
import time

import httpx

from bench._support import AUTH, Result, conclude, latency_result, served, throwaway_database
from bench.generate import Shape
from bench.portfolio import check_still_projected, load, loaded, shape_arguments, shape_of, timed_calls

PAGE_P99_MS = 50.0
CALLS = 100  # per query shape
SORTS = ("account", "name", "outstanding", "overdue", "exposure", "utilization", "oldest_days_past_due",
         "risk_points")  # fmt: skip
FILTERS = {
    "currency=EUR": "currency=EUR",
    "risk_class=D,E": "risk_class=D,E",
    "scenario=firm": "scenario=firm",
    "overdue=true": "overdue=true",
    "overdue=false": "overdue=false",
    "over_limit=true": "over_limit=true",
    "disputed=true": "disputed=true",
    "parked=true": "parked=true",
    "overdue=true, by overdue desc": "overdue=true&sort=overdue&order=desc",
    "risk_class=E, by exposure desc": "risk_class=E&sort=exposure&order=desc",
}


def shapes(client: httpx.Client, accounts: int, rng: random.Random) -> dict[str, list[str]]:
    """The URLs measured, by query shape (CALLS each)."""
    urls: dict[str, list[str]] = {}
    for sort in SORTS:
        for order in ("asc", "desc"):
            urls[f"sort={sort} {order}"] = [f"/v1/accounts?sort={sort}&order={order}"] * CALLS
    for name, query in FILTERS.items():
        urls[name] = [f"/v1/accounts?{query}"] * CALLS
    # The generator names accounts "Customer N SAS": a prefix names ~11 to 111 accounts, "contains" a few.
    numbers = [rng.randint(1, accounts) for _ in range(CALLS)]
    urls["search, prefix of the name"] = [f"/v1/accounts?match=prefix&q=customer%20{n // 10}" for n in numbers]
    urls["search, prefix of the code"] = [f"/v1/accounts?match=prefix&q=c{n // 10:05d}" for n in numbers]
    urls["search, contains"] = [f"/v1/accounts?q={n}%20sas" for n in numbers]
    urls["search, contains, by exposure"] = [f"/v1/accounts?q=er%20{n % 100}&sort=exposure" for n in numbers]
    urls["a next page (each sort)"] = next_pages(client, rng)
    return urls


def next_pages(client: httpx.Client, rng: random.Random) -> list[str]:
    """Pages after the first (up to the 10th) of each sort, reached by their cursors."""
    found = []
    for sort in SORTS:
        for order in ("asc", "desc"):
            params: dict[str, str] = {"sort": sort, "order": order}
            for _ in range(rng.randint(1, 9)):
                cursor = client.get("/v1/accounts", params=params).raise_for_status().json()["next_cursor"]
                if cursor is None:
                    break
                params["cursor"] = cursor
            found.append(str(httpx.URL("/v1/accounts", params=params)))
    return [found[i % len(found)] for i in range(CALLS)]


def first_after_start(url: str, starts: int = 3) -> list[float]:
    """A page asked as soon as a fresh server answers: it works out what every listing
    of the day shares (what each account has overdue, the scenarios), then the page.
    The same happens to the first request after the read model moves."""
    spent = []
    for _ in range(starts):
        with served(url, project_in_process=False) as (base, _), httpx.Client(base_url=base, headers=AUTH,
                                                                              timeout=60) as client:  # fmt: skip
            before = time.perf_counter()
            client.get("/v1/accounts", params={"sort": "overdue", "order": "desc"}).raise_for_status()
            spent.append((time.perf_counter() - before) * 1000)
    return spent


def measure(url: str, shape: Shape) -> list[Result]:
    rng = random.Random(shape.seed)
    with served(url, project_in_process=False) as (base, _), httpx.Client(base_url=base, headers=AUTH,
                                                                          timeout=60) as client:  # fmt: skip
        check_still_projected(url)
        urls = shapes(client, shape.accounts, rng)
        results = [latency_result(name, timed_calls(client, calls), PAGE_P99_MS) for name, calls in urls.items()]
        csv = timed_calls(client, ["/v1/accounts?format=csv"] * 5)
        results.append(latency_result("whole directory as CSV", csv, None))
    results.append(latency_result("first page after a start (by overdue)", first_after_start(url), None))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory", description=__doc__.splitlines()[0])
    shape_arguments(parser)
    parser.add_argument("--database", help="measure a database kept by `python -m bench.portfolio --keep`; "
                        "an empty one gets the portfolio recorded and projected first")  # fmt: skip
    args = parser.parse_args(argv)
    shape = shape_of(args)
    started = time.perf_counter()
    print(f"directory: {shape.accounts:,} accounts, ~{shape.events:,} facts, seed {shape.seed}", flush=True)
    if args.database:
        results = loaded(args.database, shape) + measure(args.database, shape)
    else:
        with throwaway_database() as url:
            results = load(url, shape, profile=False) + measure(url, shape)
    conclude(results, started)


if __name__ == "__main__":
    main()
