"""What the ledger accepts, every layer can hold: values beyond the limits
(domain/limits.py) are 422 naming the field and record nothing; the largest
amounts accepted, summed over many facts, are projected and read back exactly."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from o2c.domain.limits import SQLITE_MAX_SUM
from tests.integration.conftest import AUDITOR, BI, Service, envelope, invoice, opened
from tests.integration.test_ingest_validation import fields_of, problem

LARGEST = "999999999999.99"  # the largest amount a fact may carry, in EUR
ARABIC_INDIC_1200 = "\u0661\u0662\u0660\u0660.\u0660\u0660"  # as the issue posted it: Decimal() reads 1200.00


def _recorded(service: Service, account: str = "C-1001") -> int:
    response = service.history(account)
    return 0 if response.status_code == 404 else len(response.json()["events"])


def _refused(service: Service, body: Any, field: str, *, before: int = 1) -> str:
    """Posts `body`: 422 naming `field`, and C-1001 keeps its `before` facts."""
    found = problem(service.post(body), 422)
    assert fields_of(found) == [field], found
    assert _recorded(service) == before
    return str(found["errors"][0]["detail"])  # type: ignore[index]


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        (ARABIC_INDIC_1200, "ASCII"),  # Decimal() reads 1200.00
        ("\uff11\uff12\uff10\uff10.\uff10\uff10", "ASCII"),  # full-width digits
        ("1E+16", "ASCII"),  # no exponent
        ("600000000000000.00", "below 1,000,000,000,000"),  # 6x10^14: stopped the projection on BIGINT
        ("1000000000000", "below 1,000,000,000,000"),
    ],
)
def test_amounts_are_ascii_and_below_the_largest(service: Service, amount: str, why: str) -> None:
    service.post(opened())
    assert why in _refused(service, invoice("F-1", amount), "data.amount")


@pytest.mark.parametrize(
    "score", ["1E+1000000", "-1E+30", "NaN", "Infinity", "\u0661\u0662", "10000.5", "0.00001", 1e30]
)
def test_scores_are_finite_and_bounded(service: Service, score: object) -> None:
    service.post(opened())
    rated = envelope("r-1", "RatingChanged", "C-1001", agency="Coface", score=score)
    _refused(service, rated, "data.score")


def test_scores_within_bounds_are_recorded(service: Service) -> None:
    service.post(opened())
    for i, score in enumerate(["-10000", "0", "72.5", 850, "10000"]):
        assert service.post(envelope(f"r-{i}", "RatingChanged", "C-1001", agency="X", score=score)).status_code == 201


ARABIC_INDIC_DAY = "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661"  # 2026-01-01
DATED: list[tuple[str, dict[str, Any], str]] = [
    ("InvoiceIssued", {"invoice_id": "F-2", "amount": "1.00", "issue_date": "0001-01-01",
                       "due_date": "2026-03-31"}, "data.issue_date"),
    ("InvoiceIssued", {"invoice_id": "F-2", "amount": "1.00", "issue_date": "2026-03-01",
                       "due_date": "9999-12-31"}, "data.due_date"),
    ("OrderCancelled", {"order_id": "O-1", "cancelled_date": "9999-12-31"}, "data.cancelled_date"),
    ("PromiseToPay", {"promise_id": "PR-1", "amount": "1.00", "promised_date": "9999-12-31",
                      "invoice_ids": ["F-1"]}, "data.promised_date"),
    ("PromiseToPay", {"promise_id": "PR-1", "amount": "1.00", "promised_date": "2026-04-01",
                      "invoice_ids": ["F-1"], "promise_date": "0001-01-01"}, "data.promise_date"),
    ("DunningStepRecorded", {"step": "reminder", "channel": "email", "invoice_ids": ["F-1"],
                             "step_date": "9999-12-31"}, "data.step_date"),
    ("PaymentPlanAgreed", {"plan_id": "PL-1", "invoice_ids": ["F-1"], "agreed_date": "2026-04-01",
                           "installments": [{"due_date": "9999-12-31", "amount": "1.00"}]},
     "data.installments[0].due_date"),
    ("PaymentReceived", {"payment_id": "P-1", "amount": "1.00", "received_date": "1899-12-31"},
     "data.received_date"),
    ("OrderPlaced", {"order_id": "O-2", "amount": "1.00", "order_date": "2200-01-01"}, "data.order_date"),
    ("OrderPlaced", {"order_id": "O-2", "amount": "1.00", "order_date": ARABIC_INDIC_DAY}, "data.order_date"),
]  # fmt: skip


@pytest.mark.parametrize(("fact_type", "data", "field"), DATED, ids=[f for _, _, f in DATED])
def test_business_dates_lie_in_the_window(service: Service, fact_type: str, data: dict[str, Any], field: str) -> None:
    service.post({"events": [
        opened(), invoice("F-1", "100.00"),
        envelope("o-1", "OrderPlaced", "C-1001", order_id="O-1", amount="5.00", order_date="2026-03-01"),
    ]})  # fmt: skip
    _refused(service, envelope("e-1", fact_type, "C-1001", **data), field, before=3)
    # The window's ends are accepted.
    edge = envelope("e-2", "OrderPlaced", "C-1001", order_id="O-3", amount="1.00", order_date="2199-12-31")
    assert service.post(edge).status_code == 201


@pytest.mark.parametrize(
    ("event_id", "account", "invoice_id", "field"),
    [
        ("e-1", "C-1001", "F-\u0000", "data.invoice_id"),  # NUL broke PostgreSQL's text columns
        ("e-1", "C-1001", "F" * 101, "data.invoice_id"),
        ("e-1", "C-1001", " F-1", "data.invoice_id"),
        ("e-1", "C-1001", "F-1\n", "data.invoice_id"),
        ("e-\u0000", "C-1001", "F-1", "event_id"),
        ("e-\u0085", "C-1001", "F-1", "event_id"),  # C1 control (NEL)
        ("e" * 101, "C-1001", "F-1", "event_id"),
        ("e-1", "C-1001\u2028", "F-1", "account"),
    ],
)
def test_ids_are_short_and_printable(
    service: Service, event_id: str, account: str, invoice_id: str, field: str
) -> None:
    service.post(opened())
    _refused(service, invoice(invoice_id, "1.00", account=account, event_id=event_id), field)
    longest = "F" * 100
    assert service.post(invoice(longest, "1.00", event_id="e" * 100)).status_code == 201


@pytest.mark.parametrize("code", ["C/1", "C?1", "C#1", "C%1", "C\\1", " C-1", "C-1 ", "C-1\n", "..", "C" * 101])
def test_account_codes_are_path_segments(service: Service, code: str) -> None:
    found = problem(service.post(opened(code, event_id="open-1")), 422)
    assert fields_of(found) == ["account"]
    assert service.client.get("/v1/accounts/C-1/history", headers=AUDITOR).status_code == 404


def test_names_and_texts_have_no_control_characters(service: Service) -> None:
    _refused(service, opened(name="Acme\u0000SA"), "data.name", before=0)
    _refused(service, opened(name="x" * 501), "data.name", before=0)
    service.post(opened(name="Acme\u00a0SA \u2013 Soci\u00e9t\u00e9"))
    dispute = {"dispute_id": "D-1", "invoice_id": "F-1", "amount": "1.00", "opened_date": "2026-03-02"}
    service.post(invoice("F-1", "10.00"))
    bad = envelope("d-1", "DisputeOpened", "C-1001", reason="bad\u0000", **dispute)
    _refused(service, bad, "data.reason", before=2)
    kept = envelope("d-1", "DisputeOpened", "C-1001", reason="damaged:\n\tthree boxes", **dispute)
    assert service.post(kept).status_code == 201


def test_a_scenario_assigned_must_exist(service: Service) -> None:
    service.post(opened())
    _refused(service, envelope("s-1", "ScenarioAssigned", "C-1001", scenario="nope"), "data.scenario")
    for i, name in enumerate(["firm", None]):
        assert service.post(envelope(f"s-{i + 2}", "ScenarioAssigned", "C-1001", scenario=name)).status_code == 201
    stored = {"steps": [{"offset_days": 3, "channel": "email", "action": "reminder"}]}
    admin = {"Authorization": "Bearer root"}
    assert service.client.put("/v1/collections/scenarios/mine", json=stored, headers=admin).status_code == 201
    assert service.post(envelope("s-4", "ScenarioAssigned", "C-1001", scenario="mine")).status_code == 201


def test_an_envelope_currency_must_be_the_accounts(service: Service) -> None:
    _refused(service, {**opened(), "currency": "USD"}, "currency", before=0)
    service.post({**opened(), "currency": "EUR"})
    _refused(service, {**invoice("F-1", "10.00"), "currency": "USD"}, "currency")
    _refused(service, {**invoice("F-1", "10.00"), "currency": "usd"}, "currency")
    assert service.post({**invoice("F-1", "10.00"), "currency": "EUR"}).status_code == 201


def test_a_batch_names_the_fact_and_the_list_item(service: Service) -> None:
    step = envelope("st-1", "DunningStepRecorded", "C-1001", step="reminder", channel="email",
                    invoice_ids=["F-1\u0000"])  # fmt: skip
    batch = [opened(), invoice("F-1", "10.00"), invoice("F-2", "10.00"), step]
    found = problem(service.post({"events": batch}), 422)
    assert fields_of(found) == ["events[3].data.invoice_ids[0]"]
    assert "control character U+0000" in found["errors"][0]["detail"]  # type: ignore[index]
    assert _recorded(service) == 0


def test_the_largest_amounts_add_up_exactly_in_every_view(service: Service, database_url: str) -> None:
    """Many maximal invoices on a few accounts, on the same dates (so the portfolio's
    sums pile up in one row). PostgreSQL holds any sum: these go beyond the 9.2x10^14
    that BIGINT held in 1/10,000 units; SQLite (64-bit) is taken to just below it."""
    accounts, per_account = (3, 400) if database_url.startswith("postgresql") else (2, 400)
    position = 0
    for a in range(accounts):
        code = f"BIG-{a}"
        facts = [opened(code, credit_limit=LARGEST)]
        facts += [invoice(f"F-{i}", LARGEST, account=code, event_id=f"{code}-F-{i}") for i in range(per_account)]
        response = service.post({"events": facts})
        assert response.status_code == 201, response.text
        position = response.json()["results"][-1]["position"]
    after = {**BI, "X-O2C-After": str(position)}
    each = Decimal(LARGEST) * per_account
    total = each * accounts
    if database_url.startswith("postgresql"):
        assert total > Decimal(2**63 - 1).scaleb(-4)
    summary = service.client.get("/v1/accounts/BIG-0", headers=after)
    assert summary.status_code == 200, summary.text
    assert Decimal(summary.json()["outstanding"]) == each
    aging = service.client.get("/v1/aging", params={"as_of": "2026-03-15"}, headers=after)
    assert aging.status_code == 200, aging.text
    assert Decimal(aging.json()["totals"]["current"]) == total
    assert Decimal(aging.json()["totals"]["total"]) == total
    exposure = service.client.get("/v1/exposure", params={"top": 5}, headers=after).json()
    assert sorted(Decimal(row["exposure"]) for row in exposure["accounts"]) == [each] * accounts
    dso = service.client.get("/v1/dso", params={"as_of": "2026-03-15", "method": "standard"}, headers=after)
    assert dso.status_code == 200, dso.text
    assert Decimal(dso.json()["receivables"]) == total
    assert Decimal(dso.json()["sales"]) == total


def test_on_sqlite_a_sum_beyond_64_bits_parks_an_account_not_the_portfolio(tmp_path: object) -> None:
    """SQLite's bound (922,337,203,685,477 per kept sum): two accounts whose invoices
    fall on the same dates share a portfolio sum; the fact that carries it beyond the
    bound is parked with every later fact of its account, never kept as a float
    (the CHECK of migration 0004), and the other accounts are projected."""
    from tests.integration.conftest import make_service, stop_service

    service, app = make_service(f"sqlite:///{tmp_path}/o2c.db")
    try:
        positions: dict[str, list[int]] = {}
        for code, count in (("BIG-A", 500), ("BIG-B", 499)):
            facts = [opened(code, credit_limit=LARGEST)]
            facts += [invoice(f"F-{i}", LARGEST, account=code, event_id=f"{code}-F-{i}") for i in range(count)]
            positions[code] = [r["position"] for r in service.post({"events": facts}).json()["results"]]
        ok = service.post({"events": [opened("OK"), invoice("G-1", "70.00", "2026-04-01", "2026-04-30", "OK")]})
        after = {**BI, "X-O2C-After": str(ok.json()["results"][-1]["position"])}
        deadline = time.monotonic() + 120  # the projection narrows the failing batch down to the fact first
        while (summary := service.client.get("/v1/accounts/OK", headers=after)).status_code == 504:
            assert time.monotonic() < deadline, summary.text
        assert summary.status_code == 200 and summary.json()["outstanding"] == "70.00", summary.text
        fits = int(SQLITE_MAX_SUM / Decimal(LARGEST))  # 922 of the largest invoices in one sum
        [parked] = service.client.get("/v1/admin/parked", headers={"Authorization": "Bearer root"}).json()["accounts"]
        assert (parked["account"], parked["first_position"]) == ("BIG-B", positions["BIG-B"][1 + fits - 500])
        for code, kept in (("BIG-A", 500), ("BIG-B", fits - 500)):
            shown = service.client.get(f"/v1/accounts/{code}", headers=BI)
            assert shown.status_code == 200 and Decimal(shown.json()["outstanding"]) == Decimal(LARGEST) * kept
    finally:
        stop_service(app)


def test_on_sqlite_sums_read_past_64_bits_are_exact(tmp_path: object) -> None:
    """Kept sums each within SQLite's bound, read sums beyond it: two accounts'
    invoices on one day, a third's on the next, all due the same day. SQLite's own
    SUM() stops with "integer overflow" (a 500); database.ExactSum adds in Python
    integers, so the views answer the exact totals."""
    from tests.integration.conftest import make_service, stop_service

    service, app = make_service(f"sqlite:///{tmp_path}/o2c.db")
    try:
        per_account = 400
        for code, issued in (("BIG-0", "2026-03-01"), ("BIG-1", "2026-03-01"), ("BIG-2", "2026-03-02")):
            facts = [opened(code, credit_limit=LARGEST)]
            facts += [invoice(f"F-{i}", LARGEST, issued, "2026-03-31", account=code, event_id=f"{code}-F-{i}")
                      for i in range(per_account)]  # fmt: skip
            response = service.post({"events": facts})
            assert response.status_code == 201, response.text
        after = {**BI, "X-O2C-After": str(response.json()["results"][-1]["position"])}
        total = Decimal(LARGEST) * per_account * 3
        assert total > SQLITE_MAX_SUM
        aging = service.client.get("/v1/aging", params={"as_of": "2026-03-15"}, headers=after)
        assert aging.status_code == 200, aging.text
        assert Decimal(aging.json()["totals"]["current"]) == total
        dso = service.client.get("/v1/dso", params={"as_of": "2026-03-15", "method": "standard"}, headers=after)
        assert dso.status_code == 200, dso.text
        assert (Decimal(dso.json()["receivables"]), Decimal(dso.json()["sales"])) == (total, total)
        report = service.client.get("/v1/reports/monthly", params={"month": "2026-03"}, headers=after)
        assert report.status_code == 200, report.text
        assert service.client.get("/v1/admin/parked", headers={"Authorization": "Bearer root"}).json()["accounts"] == []
    finally:
        stop_service(app)
