"""The collector's views at portfolio scale (issue 4), over real HTTP: the
agenda (a day's first page worked out from cold, the following pages from the
agenda kept for that day, the whole day as CSV) and the monthly management
report. Called by bench.portfolio on the portfolio it has just projected."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from bench._support import AUTH, served
from bench.generate import Shape

AGENDA_PAGE_P99_MS, REPORT_P99_MS = 500.0, 1000.0
COLD_DAYS = 20  # distinct agenda dates: each is worked out from the read model, none from the kept agendas


@dataclass(frozen=True)
class Timed:
    name: str
    spent_ms: list[float]
    p99_target_ms: float | None  # None: for information
    skip_reason: str = ""  # why there is nothing to time, when spent_ms is empty


def _get(client: httpx.Client, url: str, params: dict[str, str | int]) -> tuple[float, httpx.Response]:
    before = time.perf_counter()
    response = client.get(url, params=params)
    spent = (time.perf_counter() - before) * 1000
    response.raise_for_status()
    return spent, response


def _timed(client: httpx.Client, url: str, params: list[dict[str, str | int]]) -> list[float]:
    return [_get(client, url, p)[0] for p in params]


def agenda_pages(client: httpx.Client, day: date, limit: int) -> tuple[list[float], int, int]:
    """Every page of a day's agenda, following the cursor: (ms per page, accounts,
    lines); the first page works the day out, the next ones read it as kept."""
    spent, accounts, lines = [], 0, 0
    params: dict[str, str | int] = {"date": day.isoformat(), "limit": limit}
    while True:
        ms, response = _get(client, "/v1/collections/agenda", params)
        spent.append(ms)
        body = response.json()
        accounts += len(body["accounts"])
        lines += sum(len(entry["items"]) for entry in body["accounts"])
        if body["next_cursor"] is None:
            return spent, accounts, lines
        params = {**params, "cursor": body["next_cursor"]}


def months_of(shape: Shape) -> list[str]:
    first = shape.start.replace(day=1) + timedelta(days=32)  # the first whole month
    months, day = [], first.replace(day=1)
    while day <= shape.end:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def first_after_start(database_url: str, day: date, starts: int = 3) -> list[float]:
    """An agenda asked as soon as a fresh server answers: it waits for the cases the
    server reads at start (every account's, decoded), then works the day out."""
    spent = []
    for _ in range(starts):
        with (
            served(database_url, project_in_process=False) as (base, _),
            httpx.Client(base_url=base, headers=AUTH, timeout=120) as client,
        ):
            spent.append(_get(client, "/v1/collections/agenda", {"date": day.isoformat()})[0])
    return spent


def collections_latencies(
    base: str, database_url: str, shape: Shape, say: Callable[[str], None] = print
) -> list[Timed]:
    end = shape.end
    cold_days = [end - timedelta(days=n) for n in range(COLD_DAYS)]
    months = months_of(shape)
    with httpx.Client(base_url=base, headers=AUTH, timeout=120) as client:
        _timed(client, "/v1/collections/agenda", [{"date": (end + timedelta(days=400)).isoformat(), "limit": 1}])
        agenda = "/v1/collections/agenda"
        cold = _timed(client, agenda, [{"date": d.isoformat(), "limit": 100} for d in cold_days])
        earlier = [d - timedelta(days=COLD_DAYS) for d in cold_days]
        cold_max = _timed(client, agenda, [{"date": d.isoformat(), "limit": 1000} for d in earlier])
        warm, accounts, lines = agenda_pages(client, end, 100)
        warm_max, _, _ = agenda_pages(client, end, 1000)
        say(f"agenda on {end}: {accounts:,} accounts, {lines:,} invoice lines ({len(warm)} pages of 100)")
        warm, warm_max = warm[1:], warm_max[1:]  # the first page was worked out, not kept

        def one_page(limit: int) -> str:
            return f"the agenda of {end} holds {accounts:,} accounts, one page of {limit}"

        csv = _timed(client, agenda, [{"date": d.isoformat(), "format": "csv"} for d in cold_days[:5]])
        _timed(client, "/v1/reports/monthly", [{"month": months[-1]}])  # warm-up: connections, plans
        report = _timed(client, "/v1/reports/monthly", [{"month": m} for m in months * 2])
        report_csv = _timed(client, "/v1/reports/monthly", [{"month": m, "format": "csv"} for m in months])
    return [
        Timed("agenda, first request after a start", first_after_start(database_url, end), AGENDA_PAGE_P99_MS),
        Timed("agenda, first page of 100 (cold)", cold, AGENDA_PAGE_P99_MS),
        Timed("agenda, first page of 1000 (cold)", cold_max, AGENDA_PAGE_P99_MS),
        Timed("agenda, next pages of 100 (kept)", warm, AGENDA_PAGE_P99_MS, one_page(100)),
        Timed("agenda, next pages of 1000 (kept)", warm_max, AGENDA_PAGE_P99_MS, one_page(1000)),
        Timed("agenda, whole day as CSV (cold)", csv, None),
        Timed(f"monthly report ({len(months)} months, twice)", report, REPORT_P99_MS),
        Timed("monthly report as CSV", report_csv, REPORT_P99_MS),
    ]
