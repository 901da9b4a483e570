"""The collector's agenda: which step is due on which invoice on a date, what
holds dunning back (disputes, promises, plans), and in which order accounts
come; then, on random trade, what must never be on it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.agenda import (
    DEFAULT_RISK_WEIGHTS,
    AccountAgenda,
    agenda,
    agenda_for,
    parse_risk_weights,
    resolve_scenario,
)
from o2c.domain.cases import CollectionCase, collection_case, formal_notice_open, from_json, to_json
from o2c.domain.collections import plan_broken_on, plan_covers, promise_pauses
from o2c.domain.errors import RuleViolation
from o2c.domain.facts import RECORDED_BY
from o2c.domain.scenarios import DEFAULT_SCENARIOS, Step
from tests.unit.commands import command, trade
from tests.unit.drawing import PLACES, amount, some_date
from tests.unit.trade import day, invoiced, opened, paid

STEPS = (
    Step(-5, "email", "pre_reminder"),
    Step(5, "email", "reminder"),
    Step(15, "phone", "call"),
    Step(30, "letter", "formal_notice"),
)
ONE = Decimal(1)


def dun(
    account: CustomerAccount, on: date, weight: Decimal = ONE, risk_class: str | None = "C"
) -> AccountAgenda | None:
    return agenda_for(collection_case(account, risk_class), STEPS, on, weight)


def listed(account: CustomerAccount, on: date) -> dict[str, tuple[str, str]]:
    """Invoice -> (action, amount at risk) on the agenda of `on`."""
    entry = dun(account, on)
    return {} if entry is None else {line.invoice_id: (line.action, str(line.amount_at_risk)) for line in entry.lines}


def recorded(account: CustomerAccount, step: str, on: date, *invoice_ids: str) -> None:
    account.record_dunning_step(f"dun-{step}-{on}", step, "email", invoice_ids or ("F-1",), on)


def one_invoice(code: str = "C-1001") -> CustomerAccount:
    account = opened(code=code)
    invoiced(account, "F-1", "1000.00")  # due March 31
    return account


# -- which step ---------------------------------------------------------------------


def test_a_pre_reminder_comes_before_the_due_date() -> None:
    account = one_invoice()
    assert dun(account, day(3, 25)) is None  # six days before due: nothing yet
    entry = dun(account, day(3, 27))
    assert entry is not None
    (line,) = entry.lines
    assert (line.action, line.channel, line.step_date) == ("pre_reminder", "email", day(3, 26))
    assert (line.days_past_due, line.days_late) == (-4, 1)
    assert entry.priority == 0  # nothing past due yet


def test_a_later_step_replaces_one_never_taken() -> None:
    account = one_invoice()
    entry = dun(account, day(4, 16))
    assert entry is not None
    (line,) = entry.lines
    assert (line.action, line.step_date, line.days_past_due, line.days_late) == ("call", day(4, 15), 16, 1)
    assert not entry.formal_notice


def test_nothing_once_the_last_step_due_is_taken() -> None:
    account = one_invoice()
    recorded(account, "call", day(4, 15))
    assert dun(account, day(4, 16)) is None
    assert listed(account, day(4, 14)) == {"F-1": ("reminder", "1000.00")}  # the call was not taken yet
    entry = dun(account, day(4, 30))
    assert entry is not None and entry.formal_notice
    assert listed(account, day(4, 30)) == {"F-1": ("formal_notice", "1000.00")}


def test_a_later_step_taken_early_settles_the_earlier_ones() -> None:
    account = one_invoice()
    recorded(account, "formal_notice", day(4, 10))
    assert dun(account, day(4, 16)) is None
    assert listed(account, day(4, 9)) == {"F-1": ("reminder", "1000.00")}


def test_a_step_taken_for_another_invoice_does_not_count() -> None:
    account = one_invoice()
    invoiced(account, "F-2", "200.00")
    recorded(account, "call", day(4, 15), "F-2")
    assert listed(account, day(4, 16)) == {"F-1": ("call", "1000.00")}


# -- what holds dunning back ------------------------------------------------------------


def test_disputed_amounts_are_not_chased() -> None:
    account = one_invoice()
    invoiced(account, "F-2", "500.00")
    account.open_dispute("d1", "D-1", "F-1", Decimal("300.00"), "price", day(4, 1))
    account.open_dispute("d2", "D-2", "F-2", Decimal("500.00"), "damaged", day(4, 1))
    assert listed(account, day(4, 16)) == {"F-1": ("call", "700.00")}
    entry = dun(account, day(4, 16))
    assert entry is not None and entry.amount_at_risk == Decimal("700.00")


def test_a_live_promise_pauses_dunning_and_a_broken_one_resumes_it() -> None:
    account = one_invoice()
    account.promise_to_pay("p", "PR-1", Decimal("1000.00"), day(4, 25), ["F-1"], day(4, 10))
    assert listed(account, day(4, 9)) == {"F-1": ("reminder", "1000.00")}
    assert listed(account, day(4, 10)) == {}
    assert listed(account, day(4, 25)) == {}
    # The day after the promised date, without the cash: back on the agenda, escalated.
    assert listed(account, day(4, 26)) == {"F-1": ("call", "1000.00")}
    (broken,) = collection_case(account, "C").broken
    assert (broken.kind, broken.commitment_id, broken.broken_on, broken.invoice_ids) == (
        "promise",
        "PR-1",
        day(4, 26),
        ("F-1",),
    )


def test_a_kept_promise_is_not_broken_and_leaves_the_rest_to_dunning() -> None:
    account = one_invoice()
    account.promise_to_pay("p", "PR-1", Decimal("400.00"), day(4, 25), ["F-1"], day(4, 10))
    paid(account, "P-1", "400.00", day(4, 20), ("F-1", "400.00"))
    assert collection_case(account, "C").broken == ()
    assert listed(account, day(4, 26)) == {"F-1": ("call", "600.00")}


def test_a_payment_plan_holds_dunning_until_an_installment_is_missed() -> None:
    account = one_invoice()
    installments = [(day(4, 20), Decimal("500.00")), (day(5, 20), Decimal("500.00"))]
    account.agree_payment_plan("plan", "PL-1", ["F-1"], installments, day(4, 6))
    paid(account, "P-1", "500.00", day(4, 18), ("F-1", "500.00"))
    assert listed(account, day(4, 5)) == {"F-1": ("reminder", "500.00")}
    assert listed(account, day(4, 6)) == {}
    assert listed(account, day(4, 21)) == {}
    assert listed(account, day(5, 20)) == {}
    # The second installment never came: the plan broke on May 21.
    assert listed(account, day(5, 21)) == {"F-1": ("formal_notice", "500.00")}
    (broken,) = collection_case(account, "C").broken
    assert (broken.kind, broken.broken_on) == ("plan", day(5, 21))


def test_a_plan_missed_at_its_first_installment_breaks_the_day_after() -> None:
    account = one_invoice()
    account.agree_payment_plan("plan", "PL-1", ["F-1"], [(day(4, 20), Decimal("1000.00"))], day(4, 5))
    assert listed(account, day(4, 20)) == {}
    assert listed(account, day(4, 21)) == {"F-1": ("call", "1000.00")}


# -- order of the agenda -------------------------------------------------------------------


def test_accounts_come_by_amount_at_risk_times_days_past_due_times_risk_weight() -> None:
    big_safe = opened(code="A-1")
    invoiced(big_safe, "F-1", "3000.00")  # 16 days past due on April 16, class A: 3000 x 16 x 1
    small_risky = opened(code="E-1")
    invoiced(small_risky, "F-1", "1000.00")  # 16 days past due, class E: 1000 x 16 x 4
    not_due = opened(code="B-0")
    invoiced(not_due, "F-1", "9000.00", due=day(4, 19))  # a pre-reminder only
    also_16 = opened(code="C-2")
    invoiced(also_16, "F-1", "1500.00")  # class C: 1500 x 16 x 2, as much as A-1 and ranked after it
    cases = [
        collection_case(not_due, "B"),
        collection_case(also_16, "C"),
        collection_case(big_safe, "A"),
        collection_case(small_risky, "E"),
    ]
    ranked = agenda(cases, lambda case: ("test", STEPS), day(4, 16), DEFAULT_RISK_WEIGHTS)
    assert [(e.account, e.priority) for e in ranked] == [
        ("E-1", Decimal("64000.00")),
        ("A-1", Decimal("48000.00")),
        ("C-2", Decimal("48000.00")),
        ("B-0", Decimal("0.00")),
    ]
    assert {e.scenario for e in ranked} == {"test"}


def test_an_account_takes_its_most_overdue_line_and_all_it_has_at_risk() -> None:
    account = one_invoice()
    invoiced(account, "F-2", "250.00", due=day(4, 10))
    entry = dun(account, day(4, 16), weight=Decimal("1.5"))
    assert entry is not None
    assert [(line.invoice_id, line.action) for line in entry.lines] == [("F-1", "call"), ("F-2", "reminder")]
    assert (entry.days_past_due, entry.amount_at_risk) == (16, Decimal("1250.00"))
    assert entry.priority == Decimal("1250.00") * 16 * Decimal("1.5")


# -- the case as the read side keeps it ----------------------------------------------------


def full_case() -> CollectionCase:
    account = one_invoice()
    invoiced(account, "F-2", "250.00", due=day(4, 10))
    invoiced(account, "F-3", "80.00")
    account.open_dispute("d1", "D-1", "F-1", Decimal("300.00"), "price", day(4, 1))
    recorded(account, "reminder", day(4, 5), "F-1", "F-3")
    account.promise_to_pay("p", "PR-1", Decimal("100.00"), day(4, 25), ["F-2"], day(4, 10))
    account.agree_payment_plan("plan", "PL-1", ["F-3"], [(day(6, 1), Decimal("80.00"))], day(5, 1))
    account.assign_scenario("s", "firm")
    return collection_case(account, "D")


def test_the_case_round_trips_through_json_exactly() -> None:
    case = full_case()
    stored = json.loads(json.dumps(to_json(case)))
    assert from_json(stored) == case
    assert to_json(from_json(stored)) == stored
    assert stored["invoices"][0]["open_balance"] == "1000.00"
    assert [c["kind"] for c in stored["commitments"]] == ["promise", "plan"]


def test_the_case_holds_what_is_still_open() -> None:
    account = one_invoice()
    invoiced(account, "F-2", "250.00")
    paid(account, "P-1", "250.00", day(4, 2), ("F-2", "250.00"))
    case = collection_case(account, None)
    assert [i.invoice_id for i in case.invoices] == ["F-1"]
    assert (case.risk_class, case.scenario, case.currency) == (None, None, "EUR")


# -- which scenario, which weights ----------------------------------------------------------


def test_the_scenario_assigned_wins_then_one_stored_for_the_class_then_the_shipped_one() -> None:
    case = full_case()  # class D, assigned "firm"
    assert resolve_scenario(case, {}) == ("firm", DEFAULT_SCENARIOS["firm"][1])
    mine = (("D",), STEPS)
    assert resolve_scenario(case, {"firm": mine}) == ("firm", STEPS)
    unassigned = CollectionCase(case.account, case.name, case.currency, "D", None, case.invoices, ())
    assert resolve_scenario(unassigned, {"zeta": mine, "alpha": mine}) == ("alpha", STEPS)
    assert resolve_scenario(unassigned, {"other": (("A",), STEPS)})[0] == "firm"
    missing = CollectionCase(case.account, case.name, case.currency, "A", "gone", case.invoices, ())
    assert resolve_scenario(missing, {})[0] == "gentle"
    unrated = CollectionCase(case.account, case.name, case.currency, None, None, case.invoices, ())
    assert resolve_scenario(unrated, {})[0] == "standard"
    # A stored scenario replaces the shipped one of its name, even for classes it no longer lists.
    assert resolve_scenario(unrated, {"standard": (("A",), STEPS)}) == ("standard", STEPS)


def test_risk_weights_from_configuration() -> None:
    assert parse_risk_weights("") == DEFAULT_RISK_WEIGHTS
    assert parse_risk_weights(" A=0.5 , E=10") == {**DEFAULT_RISK_WEIGHTS, "A": Decimal("0.5"), "E": Decimal("10")}
    for text, key in (("A=1,F=2", "'F'"), ("B=abc", "'B'"), ("C", "'C'"), ("D=-1", "'D'"), ("E=NaN", "'E'")):
        with pytest.raises(ValueError, match=key):
            parse_risk_weights(text)


def test_an_unrated_account_weighs_as_class_c() -> None:
    ranked = agenda([collection_case(one_invoice(), None)], lambda case: ("s", STEPS), day(4, 16))
    assert ranked[0].priority == Decimal("1000.00") * 16 * 2


# -- properties on random trade ----------------------------------------------------------------


def collections_on(data: st.DataObject, account: CustomerAccount) -> None:
    """Dunning steps, promises and plans, valid or not, mixed with more trade."""
    places = PLACES[account.currency]
    for n in range(data.draw(st.integers(0, 12))):
        kind = data.draw(st.sampled_from(["step", "step", "promise", "promise", "plan", "trade"]))
        ids = sorted(account.invoices)
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True)) if ids else ["F-x"]
        when = some_date(data, spread=150)
        try:
            if kind == "step":
                action = data.draw(st.sampled_from([s.action for s in STEPS] + ["call_back"]))
                account.record_dunning_step(f"c{n}", action, "phone", chosen, when)
            elif kind == "promise":
                until = when + timedelta(days=data.draw(st.integers(-2, 40)))
                open_balance = sum((account.invoices[i].open_balance for i in chosen if i in ids), Decimal(0))
                promised = amount(data, places, open_balance or Decimal(100))
                account.promise_to_pay(f"c{n}", f"PR-{n}", promised, until, chosen, when)
            elif kind == "plan":
                parts = data.draw(st.lists(st.integers(0, 45), min_size=1, max_size=3))
                dates = [when + timedelta(days=sum(parts[: i + 1])) for i in range(len(parts))]
                installments = [(d, amount(data, places, Decimal(3000))) for d in dates]
                account.agree_payment_plan(f"c{n}", f"PL-{n}", chosen, installments, when)
            else:
                fact_type, fact_data = command(data, account)
                getattr(account, RECORDED_BY[fact_type])(event_id=f"c{n}", **fact_data)
        except RuleViolation:
            pass
        account.collect_events()


def drawn_steps(data: st.DataObject) -> tuple[Step, ...]:
    if data.draw(st.booleans()):
        return DEFAULT_SCENARIOS[data.draw(st.sampled_from(sorted(DEFAULT_SCENARIOS)))][1]
    offsets = sorted(data.draw(st.lists(st.integers(-20, 90), min_size=1, max_size=5)))
    return tuple(Step(offset, "email", STEPS[i % 4].action + f"_{i}") for i, offset in enumerate(offsets))


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_the_agenda_never_chases_what_is_settled_disputed_promised_or_planned(data: st.DataObject) -> None:
    account = trade(data, max_steps=25).account
    collections_on(data, account)
    steps = drawn_steps(data)
    case = collection_case(account, data.draw(st.sampled_from([None, "A", "C", "E"])))
    assert from_json(json.loads(json.dumps(to_json(case)))) == case
    assert case.formal_notice_open == formal_notice_open(account)
    regrouped: dict[str, list[tuple[str, date]]] = {}
    for step in account.dunning_steps:
        for invoice_id in step.invoice_ids:
            regrouped.setdefault(invoice_id, []).append((step.step, step.step_date))
    assert account.steps_on == regrouped
    for on in (some_date(data, spread=250) for _ in range(3)):
        entry = agenda_for(case, steps, on, Decimal(2))
        if entry is None:
            continue
        for line in entry.lines:
            invoice = account.invoices[line.invoice_id]
            assert invoice.open_balance > 0
            assert 0 < line.amount_at_risk <= invoice.open_balance - invoice.disputed_on(None)
            assert not any(promise_pauses(p, on) for p in account.promises.values() if line.invoice_id in p.invoice_ids)
            for plan in account.plans.values():
                if line.invoice_id in plan.invoice_ids:
                    planned = [account.invoices[i] for i in plan.invoice_ids]
                    assert not plan_covers(plan, plan_broken_on(plan, planned, account.payments), on)
            # The step listed is due and was not taken by then.
            assert line.step_date <= on and line.days_late >= 0
            taken = {s.step for s in account.dunning_steps if line.invoice_id in s.invoice_ids and s.step_date <= on}
            assert line.action not in taken
        undisputed = sum(
            (max(i.open_balance - i.disputed_on(None), Decimal(0)) for i in account.invoices.values()),
            Decimal(0),
        )
        assert entry.amount_at_risk == sum((line.amount_at_risk for line in entry.lines), Decimal(0))
        assert 0 < entry.amount_at_risk <= undisputed
        assert entry.priority >= 0
