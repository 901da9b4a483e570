"""Due schedules under payment plans (domain/schedules.py): hand-worked plans —
spread on the installments oldest invoice first, paid earliest first, broken and
back on the invoices' own dates, installments adding up to less or more than is
open, a later plan over an earlier one — and, over random histories, the plans'
lines added to the invoices' own give the schedule of every day, and the overdue
days are the days something is past due."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.items import Allocation
from o2c.domain.schedules import due_parts, overdue_on, plan_schedules, planned, windows
from o2c.domain.valuation import position
from tests.unit.trade import day, invoiced, opened, paid


def plan(account: CustomerAccount, plan_id: str, agreed: date, invoice_ids: list[str], *due: tuple[date, str]) -> None:
    installments = [(on, Decimal(amount)) for on, amount in due]
    account.agree_payment_plan(f"pl-{plan_id}", plan_id, invoice_ids, installments, agreed)


def parts(account: CustomerAccount, on: date) -> dict[str, dict[date, str]]:
    found = due_parts(account, sorted(account.invoices), on, on, windows(account))
    return {i: {due: str(x) for due, x in by_due.items()} for i, by_due in found.items()}


def two_invoices_under_a_plan() -> CustomerAccount:
    account = opened()
    invoiced(account, "F1", "1000.00", day(3, 1), day(3, 31))
    invoiced(account, "F2", "400.00", day(3, 11), day(4, 10))
    plan(account, "PL1", day(4, 15), ["F1", "F2"], (day(4, 30), "700.00"), (day(5, 31), "700.00"))
    return account


def test_a_plan_spreads_what_is_open_on_its_installments_oldest_invoice_first_until_it_breaks() -> None:
    account = two_invoices_under_a_plan()
    assert parts(account, day(4, 14)) == {"F1": {day(3, 31): "1000.00"}, "F2": {day(4, 10): "400.00"}}
    assert parts(account, day(4, 15)) == {"F1": {day(4, 30): "700.00", day(5, 31): "300.00"},
                                          "F2": {day(5, 31): "400.00"}}  # fmt: skip
    # Nothing paid by 30 April: broken on 1 May, back on the invoices' own dates.
    assert parts(account, day(5, 1)) == {"F1": {day(3, 31): "1000.00"}, "F2": {day(4, 10): "400.00"}}
    assert (overdue_on(account, day(4, 30), day(6, 1)), overdue_on(account, day(5, 1), day(6, 1))) == (0, 1400)
    # Cash for the first installment, received on 28 April, keeps it until 31 May.
    paid(account, "P1", "700.00", day(4, 28), ("F1", "700.00"))
    assert parts(account, day(5, 1)) == {"F1": {day(5, 31): "300.00"}, "F2": {day(5, 31): "400.00"}}
    assert parts(account, day(6, 1)) == {"F1": {day(3, 31): "300.00"}, "F2": {day(4, 10): "400.00"}}
    assert position(account, day(5, 31), day(6, 1)).overdue == 0
    assert position(account, day(6, 1), day(6, 1)).overdue == Decimal("700.00")


def test_cash_pays_the_earliest_installments_whichever_invoice_it_settles() -> None:
    account = two_invoices_under_a_plan()
    paid(account, "P1", "400.00", day(4, 20), ("F2", "400.00"))  # the newer invoice, before the first date
    # 400 of the first installment paid: 300 of it left, then the second; F1 (all that is open) fills them.
    assert parts(account, day(4, 20)) == {"F1": {day(4, 30): "300.00", day(5, 31): "700.00"}}


def test_installments_short_of_what_is_open_leave_the_rest_on_the_invoices_own_date() -> None:
    account = opened()
    invoiced(account, "F1", "1000.00", day(3, 1), day(3, 31))
    plan(account, "PL1", day(4, 15), ["F1"], (day(4, 30), "300.00"), (day(5, 31), "300.00"))
    assert parts(account, day(4, 20)) == {"F1": {day(3, 31): "400.00", day(4, 30): "300.00", day(5, 31): "300.00"}}
    assert overdue_on(account, day(4, 20), day(6, 1)) == Decimal("400.00")  # still overdue: never rescheduled


def test_installments_beyond_what_is_open_are_not_owed_the_latest_first() -> None:
    account = opened()
    invoiced(account, "F1", "1000.00", day(3, 1), day(3, 31))
    plan(account, "PL1", day(4, 15), ["F1"], (day(4, 30), "500.00"), (day(5, 31), "500.00"))
    account.issue_credit_note("cn-1", "CN1", "F1", Decimal("600.00"), day(4, 20))
    assert parts(account, day(4, 20)) == {"F1": {day(4, 30): "400.00"}}


def test_a_later_plan_governs_the_invoices_it_names_from_its_agreement() -> None:
    account = opened()
    invoiced(account, "F1", "1000.00", day(3, 1), day(3, 31))
    plan(account, "PL1", day(4, 1), ["F1"], (day(4, 30), "1000.00"))  # never paid: broken on 1 May
    plan(account, "PL2", day(5, 10), ["F1"], (day(6, 30), "1000.00"))
    assert parts(account, day(4, 15)) == {"F1": {day(4, 30): "1000.00"}}
    assert parts(account, day(5, 5)) == {"F1": {day(3, 31): "1000.00"}}
    assert parts(account, day(5, 10)) == {"F1": {day(6, 30): "1000.00"}}
    # Overdue between the two plans, and from the day after PL2's installment went unpaid.
    assert plan_schedules(account).overdue_days["F1"] == ((day(5, 1), day(5, 10)), (day(7, 1), None))


# -- over random histories ---------------------------------------------------------------------

START = date(2026, 1, 1)


def history(data: st.DataObject) -> CustomerAccount:
    """Invoices, then plans, payments, later allocations, credit notes and upheld disputes."""
    account = opened()

    def on(low: int = 0, high: int = 150) -> date:
        return START + timedelta(days=data.draw(st.integers(low, high)))

    for n in range(data.draw(st.integers(1, 4))):
        issue = on(0, 90)
        invoiced(account, f"F{n}", f"{data.draw(st.integers(1, 50)) * 100}.00", issue,
                 issue + timedelta(days=data.draw(st.integers(0, 40))))  # fmt: skip
    for n in range(data.draw(st.integers(1, 10))):
        still_open = sorted(i for i, invoice in account.invoices.items() if invoice.open_balance > 0)
        if not still_open:
            break
        chosen = data.draw(st.lists(st.sampled_from(still_open), min_size=1, max_size=3, unique=True))
        first = account.invoices[chosen[0]]
        cents = data.draw(st.integers(1, int(first.open_balance * 100)))
        amount = Decimal(cents) / 100
        kind = data.draw(st.sampled_from(["plan", "plan", "payment", "payment", "late", "credit", "upheld"]))
        if kind == "plan":
            agreed = due = on()
            installments = []
            for _ in range(data.draw(st.integers(1, 3))):
                due += timedelta(days=data.draw(st.integers(0, 40)))
                installments.append((due, Decimal(data.draw(st.integers(1, 3000)))))
            account.agree_payment_plan(f"pl{n}", f"PL{n}", chosen, installments, agreed)
        elif kind == "payment":
            paid(account, f"P{n}", str(amount), on(), (first.invoice_id, str(amount)))
        elif kind == "late":  # received unallocated, allocated later
            received = on()
            account.receive_payment(f"p{n}", f"P{n}", amount, received, ())
            later = received + timedelta(days=data.draw(st.integers(0, 30)))
            account.allocate_payment(f"a{n}", f"P{n}", later, (Allocation(first.invoice_id, amount),))
        elif kind == "credit":
            account.issue_credit_note(f"cn{n}", f"CN{n}", first.invoice_id, amount, on())
        else:
            opened_on = first.issue_date + timedelta(days=data.draw(st.integers(0, 20)))
            account.open_dispute(f"d{n}", f"D{n}", first.invoice_id, amount, "damaged", opened_on)
            resolved = opened_on + timedelta(days=data.draw(st.integers(0, 30)))
            account.resolve_dispute(f"r{n}", f"D{n}", "upheld", resolved)
    return account


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_plans_lines_added_to_the_invoices_own_give_every_days_schedule(data: st.DataObject) -> None:
    account = history(data)
    schedules = plan_schedules(account)
    named = sorted(planned(account))
    for offset in range(-1, 260, 3):
        on = START + timedelta(days=offset)
        summed: dict[tuple[str, date], Decimal] = {}
        for invoice_id in named:  # each invoice's own lines: what is open, on its due date
            invoice = account.invoices[invoice_id]
            summed[(invoice_id, invoice.due_date)] = invoice.open_balance_on(on)
        for (invoice_id, due, effective), change in schedules.overlay.items():
            if effective <= on:
                summed[(invoice_id, due)] = summed.get((invoice_id, due), Decimal(0)) + change
        assert all(x >= 0 for x in summed.values()), on
        expected = due_parts(account, named, on, on, windows(account))
        assert {k: x for k, x in summed.items() if x} == {
            (i, due): x for i, by_due in expected.items() for due, x in by_due.items()
        }, on
        for invoice_id in named:
            past_due = any(due < on for due in expected.get(invoice_id, {}))
            days = schedules.overdue_days[invoice_id]
            assert past_due == any(s <= on and (u is None or on < u) for s, u in days), (invoice_id, on)
