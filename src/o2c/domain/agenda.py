"""The collector's agenda for a business date: per account, the dunning step
due or late on each invoice and not yet taken, leaving out what is disputed
and what a promise or a payment plan holds back; accounts ordered by priority
(amount at risk, times days past due, times the risk weight) within their currency."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from o2c.domain.cases import CaseInvoice, CollectionCase
from o2c.domain.money import ZERO
from o2c.domain.scenarios import DEFAULT_SCENARIOS, FORMAL_NOTICE, RISK_CLASSES, Step

# An account without a class is dunned as an average one.
UNRATED = "C"
DEFAULT_RISK_WEIGHTS: Mapping[str, Decimal] = {
    "A": Decimal("1"),
    "B": Decimal("1.5"),
    "C": Decimal("2"),
    "D": Decimal("3"),
    "E": Decimal("4"),
}
ScenarioCatalogue = Mapping[str, tuple[tuple[str, ...], tuple[Step, ...]]]


@dataclass(frozen=True)
class AgendaLine:
    invoice_id: str
    due_date: date
    days_past_due: int  # negative: a pre-reminder, before the invoice is due
    action: str
    channel: str
    step_date: date  # when the scenario meant the step to be taken
    days_late: int  # since the step date
    amount_at_risk: Decimal  # open balance less disputed


@dataclass(frozen=True)
class AccountAgenda:
    account: str
    name: str
    currency: str
    risk_class: str | None
    scenario: str | None
    lines: tuple[AgendaLine, ...]
    amount_at_risk: Decimal
    days_past_due: int  # of its most overdue line
    priority: Decimal
    formal_notice: bool  # a line asks for a formal notice: the step before litigation


def step_due(invoice: CaseInvoice, steps: Sequence[Step], on: date) -> Step | None:
    """The last step of the scenario come due by `on`, unless it or a later one
    was taken already. Steps missed on the way are not listed: the collector
    escalates to where the scenario stands now, not where it stood."""
    # Worked out for every open invoice of the portfolio: plain loops over a few steps.
    days_past_due = (on - invoice.due_date).days
    last = -1
    for i, step in enumerate(steps):
        if step.offset_days <= days_past_due:
            last = i
    if last < 0:
        return None
    if invoice.steps_recorded:
        later = {step.action for step in steps[last:]}
        if any(day <= on and action in later for action, day in invoice.steps_recorded):
            return None
    return steps[last]


def agenda_line(invoice: CaseInvoice, steps: Sequence[Step], on: date) -> AgendaLine | None:
    at_risk = invoice.open_balance - invoice.disputed
    if at_risk <= 0 or invoice.paused_on(on) or invoice.under_plan_on(on):
        return None
    step = step_due(invoice, steps, on)
    if step is None:
        return None
    try:
        step_date = invoice.due_date + timedelta(days=step.offset_days)
    except OverflowError:  # a due date recorded before the business-date window, at the calendar's end
        step_date = date.min if step.offset_days < 0 else date.max
    return AgendaLine(
        invoice.invoice_id,
        invoice.due_date,
        (on - invoice.due_date).days,
        step.action,
        step.channel,
        step_date,
        (on - step_date).days,
        at_risk,
    )


def agenda_for(
    case: CollectionCase,
    scenario_steps: Sequence[Step],
    on: date,
    risk_weight: Decimal,
    scenario: str | None = None,
) -> AccountAgenda | None:
    """The account's part of the agenda on `on`; none when nothing is to be done.
    `scenario` names the scenario followed (default: the one assigned)."""
    lines = [line for invoice in case.invoices if (line := agenda_line(invoice, scenario_steps, on)) is not None]
    if not lines:
        return None
    at_risk = sum((line.amount_at_risk for line in lines), ZERO)
    days_past_due = max(line.days_past_due for line in lines)
    return AccountAgenda(
        case.account,
        case.name,
        case.currency,
        case.risk_class,
        scenario if scenario is not None else case.scenario,
        tuple(lines),
        at_risk,
        days_past_due,
        # Pre-reminders only (nothing past due yet): priority 0, at the end of the list.
        at_risk * max(days_past_due, 0) * risk_weight,
        any(line.action == FORMAL_NOTICE for line in lines),
    )


def weight_of(weights: Mapping[str, Decimal], risk_class: str | None) -> Decimal:
    risk_class = risk_class or UNRATED
    return weights.get(risk_class, DEFAULT_RISK_WEIGHTS.get(risk_class, DEFAULT_RISK_WEIGHTS[UNRATED]))


def agenda(
    cases: Iterable[CollectionCase],
    resolve_steps: Callable[[CollectionCase], tuple[str, Sequence[Step]]],
    on: date,
    weights: Mapping[str, Decimal] = DEFAULT_RISK_WEIGHTS,
) -> list[AccountAgenda]:
    """Every account with something to do on `on`: by currency, then highest priority
    first (priorities in two currencies do not compare; `agenda_currencies` ranks
    them together once converted)."""
    found = []
    for case in cases:
        name, steps = resolve_steps(case)
        entry = agenda_for(case, steps, on, weight_of(weights, case.risk_class), name)
        if entry is not None:
            found.append(entry)
    found.sort(key=lambda entry: (entry.currency, -entry.priority, entry.account))
    return found


def parse_risk_weights(text: str) -> dict[str, Decimal]:
    """Weights from configuration, "A=1,B=1.5,..."; a class left out keeps its default."""
    weights = dict(DEFAULT_RISK_WEIGHTS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = (s.strip() for s in part.partition("="))
        if key not in RISK_CLASSES:
            raise ValueError(f"risk weight '{key}': the class must be one of {', '.join(RISK_CLASSES)}")
        try:
            weight = Decimal(value) if sep else None
        except InvalidOperation:
            weight = None
        if weight is None or not weight.is_finite() or weight < 0:
            raise ValueError(f"risk weight '{key}': '{value}' is not a number of zero or more")
        weights[key] = weight
    return weights


def resolve_scenario(
    case: CollectionCase, stored: ScenarioCatalogue, defaults: ScenarioCatalogue = DEFAULT_SCENARIOS
) -> tuple[str, tuple[Step, ...]]:
    """The scenario an account follows: the one assigned to it if it exists,
    else one stored for its class (the first by name), else the shipped one for
    its class — as stored under that name, since a stored scenario replaces
    the shipped one of the same name."""
    catalogue = {**defaults, **stored}
    if case.scenario is not None and case.scenario in catalogue:
        return case.scenario, tuple(catalogue[case.scenario][1])
    risk_class = case.risk_class or UNRATED
    for scenarios in (stored, defaults):
        for name in sorted(scenarios):
            if risk_class in scenarios[name][0]:
                return name, tuple(catalogue[name][1])
    # A class no scenario covers (possible only with trimmed defaults): no dunning.
    return "", ()
