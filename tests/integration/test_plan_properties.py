"""Payment plans and promises in the read model, over random small portfolios on
each store: a rebuild equals the live read model row for row (lines, portfolio
sums, rules and alerts included) however the facts were batched and projected;
the aging and the summary's overdue are the domain's plan schedules; the timed
alerts open are those whose condition holds today."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pprint import pformat
from typing import Any
from unittest import mock

from hypothesis import event, given
from hypothesis import strategies as st

from o2c.domain.cases import commitments_of
from o2c.domain.schedules import due_parts, plan_schedules, planned, windows
from o2c.domain.valuation import position
from o2c.projections.database import reset
from o2c.projections.projector import ReadModelProjection
from tests.integration.portfolio_strategies import (
    AMOUNTS,
    KINDS,
    OFFSETS,
    Books,
    Portfolio,
    _fact,
    batched,
    day,
    differences,
    envelope,
    fresh_service,
    fresh_store,
    money,
    tables,
)
from tests.integration.test_projection_recovery import PROPERTY, assert_complete
from tests.integration.test_read_model_properties import AS_OF, amount, get

COMMITMENTS = ("PaymentPlanAgreed", "PaymentPlanAgreed", "PromiseToPay")


class PlanBooks(Books):
    """The books know nothing of commitments: they move no balance."""

    def apply(self, fact: dict[str, Any]) -> None:
        if fact["type"] not in COMMITMENTS:
            super().apply(fact)


def _commitment(draw: Callable[..., Any], kind: str, books: PlanBooks, code: str, n: int) -> dict[str, Any] | None:
    a = books.accounts[code]
    still_open = {k: i.open_on(None) for k, i in a.invoices.items() if i.open_on(None) > 0}
    if not still_open:
        return None
    chosen = draw(st.lists(st.sampled_from(sorted(still_open)), min_size=1, max_size=3, unique=True))
    owed = sum(still_open[i] for i in chosen)
    start = draw(OFFSETS)
    if kind == "PromiseToPay":
        return envelope(f"e{n}", kind, code, promise_id=f"PR{n}", amount=money(draw(st.integers(1, owed))),
                        promised_date=day(start + draw(st.integers(0, 30))), invoice_ids=chosen,
                        promise_date=day(start))  # fmt: skip
    count = draw(st.integers(1, 3))
    if draw(st.booleans()):  # installments adding up to what is open, or not
        amounts = [owed // count] * (count - 1) + [owed - owed // count * (count - 1)]
        amounts = [x for x in amounts if x > 0] or [owed]
    else:
        amounts = [draw(AMOUNTS) for _ in range(count)]
    due, installments = start, []
    for x in amounts:
        due += draw(st.integers(0, 40))
        installments.append({"due_date": day(due), "amount": money(x)})
    return envelope(f"e{n}", kind, code, plan_id=f"PL{n}", invoice_ids=chosen, installments=installments,
                    agreed_date=day(start))  # fmt: skip


@st.composite
def planned_portfolios(draw: Callable[..., Any], max_facts: int = 40, max_batch: int = 8) -> Portfolio:
    """As portfolio_strategies.portfolios, with plans and promises among the facts."""
    books = PlanBooks()
    facts: list[dict[str, Any]] = []

    def add(fact: dict[str, Any]) -> None:
        books.apply(fact)
        facts.append(fact)

    codes = [f"A{i}" for i in range(1, draw(st.integers(1, 3)) + 1)]
    for code in codes:
        add(envelope(f"open-{code}", "AccountOpened", code, name=f"Customer {code}", currency="EUR",
                     credit_limit=money(draw(st.integers(0, 1_500_000)))))  # fmt: skip
    for n in range(draw(st.integers(1, max_facts - len(codes)))):
        code = draw(st.sampled_from(codes))
        kind = draw(st.sampled_from((*KINDS, *COMMITMENTS, "PaymentReceived")))
        fact = None
        if kind in COMMITMENTS:
            fact = _commitment(draw, kind, books, code, n)
        else:
            fact = _fact(draw, kind, books.accounts[code], f"e{n}", n)
        add(fact or _fact(draw, "InvoiceIssued", books.accounts[code], f"e{n}", n))
    return batched(draw, facts, max_batch)


class Clock:
    """The time facts are recorded at and the projection works at, moved on by the test;
    each reading a microsecond after the last, as recording times are."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


@PROPERTY
@given(portfolio=planned_portfolios(), data=st.data())
def test_a_rebuild_equals_the_live_read_model_under_plans_agreed_and_broken(
    database_url: str, portfolio: Portfolio, data: st.DataObject
) -> None:
    """Days pass between the batches (the daily sweep raises what time brings) and the
    projection lags behind the writes by any number of facts."""
    clock = Clock()
    with fresh_store(database_url) as store, mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock):
        store.ledger.clock = clock
        live = ReadModelProjection(store.ledger, store.engine, clock)
        last = 0
        for facts in portfolio.batches:
            last = store.record(facts)
            clock.now += timedelta(hours=data.draw(st.integers(0, 24 * 40), label="hours passing"))
            limit = data.draw(st.integers(1, 8), label="projection batch")
            for _ in range(data.draw(st.integers(0, 3), label="batches projected")):
                live.run_once(limit)
        while live.run_once(data.draw(st.integers(1, 8), label="catch-up batch")):
            pass
        projected = tables(store.engine)
        assert_complete(projected, portfolio, last)
        spells = [row[1:3] for row in projected["rm_alerts"] if row[1] in ("overdue", "promise_broken")]
        event(f"plans: {any(f['type'] == 'PaymentPlanAgreed' for f in portfolio.facts)}")
        event(f"a subject with two alerts: {len(spells) > len(set(spells))}")
        reset(store.engine)
        ReadModelProjection(store.ledger, store.engine, clock).run_until_caught_up()
        diff = differences(tables(store.engine), projected)
        assert not diff, pformat(diff, width=200)


def scheduled_items(account: Any, as_of: date) -> list[tuple[str, date, Decimal]]:
    """The account's open balances at `as_of` by the due dates in force (the domain's)."""
    parts = due_parts(account, sorted(account.invoices), as_of, as_of, windows(account))
    return sorted(((i, due, x) for i, by_due in parts.items() for due, x in by_due.items()), key=lambda r: (r[1], r[0]))


@PROPERTY
@given(portfolio=planned_portfolios(), data=st.data())
def test_aging_overdue_and_timed_alerts_follow_the_plans(
    database_url: str, portfolio: Portfolio, data: st.DataObject
) -> None:
    with fresh_service(database_url) as (service, app):
        last = 0
        for facts in portfolio.batches:
            response = service.post({"events": facts})
            assert response.status_code == 201, response.text
            last = max(last, *(r["position"] for r in response.json()["results"]))
        ledger = app.state.ledger
        today = ledger.clock().date()
        stored = {code: ledger.stored_account(code) for code in portfolio.codes}
        expected_alerts = set()
        for code, account in stored.items():
            summary = get(service, f"/v1/accounts/{code}", last)
            assert amount(summary["overdue"]) == position(account, None, today).overdue, code
            for _ in range(data.draw(st.integers(1, 2), label="agings")):
                on = data.draw(AS_OF, label="as_of")
                answer = get(service, f"/v1/accounts/{code}/aging", last, as_of=on.isoformat())
                items = [(i["invoice_id"], date.fromisoformat(i["due_date"]), amount(i["open_balance"]))
                         for i in answer["items"]]  # fmt: skip
                assert items == scheduled_items(account, on), (code, on)
                overdue = sum((x for _, due, x in items if due < on), Decimal(0))
                assert amount(answer["totals"]["total"]) - amount(answer["totals"]["current"]) == overdue
                assert overdue == position(account, on, today).overdue
            days = plan_schedules(account).overdue_days
            named = planned(account)
            for invoice in account.invoices.values():
                if invoice.open_balance <= 0:
                    continue
                if invoice.invoice_id not in named:
                    held = invoice.due_date < today
                else:
                    held = any(s <= today and (u is None or today < u) for s, u in days[invoice.invoice_id])
                if held:
                    expected_alerts.add((code, "overdue", invoice.invoice_id))
            for c in commitments_of(account):
                if c.broken_on is not None and c.broken_on <= today and not c.settled:
                    expected_alerts.add((code, "promise_broken", f"{c.kind}:{c.commitment_id}"))
        listed = get(service, "/v1/alerts", last, status="open", limit=1000)["alerts"]
        found = [(a["account"], a["type"], a["subject"]) for a in listed if a["type"] in ("overdue", "promise_broken")]
        assert len(found) == len(set(found)), "an alert is open twice"
        assert set(found) == expected_alerts
