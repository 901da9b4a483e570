"""Random small portfolios of valid facts for the read model's property tests,
an independent reckoning of those facts (the `Books`), and per-example stores.

The Books follow SPEC's definitions and the README's choices, written here
from the raw posted facts without using o2c's domain code: a settlement
(allocation, credit note, upheld dispute) counts from max(its date, the
invoice's issue date); an invoice consumes its order from its issue date, up
to what is left of the order when it is recorded; a cancellation removes what
is left of the order when it is recorded, from its cancelled_date.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import psycopg
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from o2c.api.envelopes import parse_body
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.ledger.envelope import Envelope
from o2c.projections import schema
from o2c.projections.database import migrate, sync_engine
from o2c.projections.reviewed import REVIEWED_POSITION
from o2c.projections.risk_review import REVIEWS, RISK_SUBJECT
from tests.integration.conftest import make_service, stop_service

REVIEWED = ("risk", "risk_class", "risk_points")  # rm_collections' columns the risk review writes (points: from risk)
BASE = datetime.now(UTC).date()  # dates of generated facts are offsets from here
CENTS = Decimal("0.01")


def money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def cents(amount: str | Decimal) -> int:
    return int(Decimal(amount) * 100)


def dec(amount_cents: int) -> Decimal:
    return Decimal(amount_cents).scaleb(-2)


def day(offset: int) -> str:
    return (BASE + timedelta(days=offset)).isoformat()


# -- the books: SPEC's definitions over the raw facts -------------------------------------


@dataclass
class InvoiceBooks:
    amount: int
    issue: date
    due: date
    settlements: list[tuple[date, int]] = field(default_factory=list)

    def open_on(self, on: date | None) -> int:
        if on is not None and self.issue > on:
            return 0
        return self.amount - sum(a for e, a in self.settlements if on is None or e <= on)

    def settle(self, on: date, amount: int) -> None:
        self.settlements.append((max(on, self.issue), amount))


@dataclass
class OrderBooks:
    amount: int
    placed: date
    removed: list[tuple[date, int]] = field(default_factory=list)  # invoiced or cancelled
    cancelled: bool = False
    cancellation: int | None = None  # where in `removed` the cancellation is

    def uninvoiced_on(self, on: date | None) -> int:
        if on is not None and self.placed > on:
            return 0
        return self.amount - sum(a for e, a in self.removed if on is None or e <= on)


@dataclass
class PaymentBooks:
    amount: int
    received: date
    allocations: list[tuple[date, int]] = field(default_factory=list)

    def unapplied_on(self, on: date | None) -> int:
        if on is not None and self.received > on:
            return 0
        return self.amount - sum(a for e, a in self.allocations if on is None or e <= on)


@dataclass
class DisputeBooks:
    invoice_id: str
    amount: int
    opened: date
    resolved: date | None = None

    def open_on(self, on: date | None) -> bool:
        if on is None:
            return self.resolved is None
        return self.opened <= on and (self.resolved is None or self.resolved > on)


@dataclass
class AccountBooks:
    code: str
    credit_limit: int
    insured_limit: int | None
    scores: list[Decimal] = field(default_factory=list)
    orders: dict[str, OrderBooks] = field(default_factory=dict)
    invoices: dict[str, InvoiceBooks] = field(default_factory=dict)
    payments: dict[str, PaymentBooks] = field(default_factory=dict)
    disputes: dict[str, DisputeBooks] = field(default_factory=dict)
    credit_notes: int = 0

    def outstanding_on(self, on: date | None) -> int:
        return sum(i.open_on(on) for i in self.invoices.values())

    def uninvoiced_on(self, on: date | None) -> int:
        return sum(o.uninvoiced_on(on) for o in self.orders.values())

    def unapplied_on(self, on: date | None) -> int:
        return sum(p.unapplied_on(on) for p in self.payments.values())

    def disputed_on(self, on: date | None, invoice_id: str | None = None) -> int:
        return sum(d.amount for d in self.disputes.values() if d.open_on(on) and invoice_id in (None, d.invoice_id))

    def exposure_on(self, on: date | None) -> int:
        return self.outstanding_on(on) + self.uninvoiced_on(on) - self.unapplied_on(on)

    def overdue_now(self, today: date) -> int:
        """Every recorded fact counted, past due against today (the account summary's overdue)."""
        return sum(i.open_on(None) for i in self.invoices.values() if i.due < today)

    def sales_on(self, on: date) -> int:
        return sum(i.amount for i in self.invoices.values() if i.issue == on)


def _date(value: str) -> date:
    return date.fromisoformat(value)


class Books:
    """Every account as reckoned from the facts applied, in recording order."""

    def __init__(self, facts: list[dict[str, Any]] | None = None) -> None:
        self.accounts: dict[str, AccountBooks] = {}
        for fact in facts or []:
            self.apply(fact)

    def apply(self, fact: dict[str, Any]) -> None:
        kind, code, d = fact["type"], fact["account"], fact["data"]
        if kind == "AccountOpened":
            insured = d.get("insured_limit")
            self.accounts[code] = AccountBooks(
                code, cents(d["credit_limit"]), None if insured is None else cents(insured)
            )
            return
        a = self.accounts[code]
        if kind == "LimitChanged":
            a.credit_limit = cents(d["credit_limit"])
            if d.get("insured_limit") is not None:
                a.insured_limit = cents(d["insured_limit"])
        elif kind == "RatingChanged":
            a.scores.append(Decimal(d["score"]))
        elif kind == "OrderPlaced":
            a.orders[d["order_id"]] = OrderBooks(cents(d["amount"]), _date(d["order_date"]))
        elif kind == "OrderCancelled":
            order = a.orders[d["order_id"]]
            left = order.uninvoiced_on(None)
            order.cancellation = len(order.removed)
            order.removed.append((_date(d["cancelled_date"]), left))
            order.cancelled = True
        elif kind == "InvoiceIssued":
            inv = InvoiceBooks(cents(d["amount"]), _date(d["issue_date"]), _date(d["due_date"]))
            a.invoices[d["invoice_id"]] = inv
            if d.get("order_id") is not None:
                order = a.orders[d["order_id"]]
                at = order.cancellation
                if at is not None and inv.issue < order.removed[at][0]:
                    # Dated before a cancellation posted earlier: it takes from what that removed.
                    cancelled_on, removed = order.removed[at]
                    consumed = min(inv.amount, removed)
                    order.removed[at] = (cancelled_on, removed - consumed)
                else:
                    consumed = min(inv.amount, order.uninvoiced_on(None))
                if consumed > 0:
                    order.removed.append((inv.issue, consumed))
        elif kind in ("PaymentReceived", "PaymentAllocated"):
            if kind == "PaymentReceived":
                a.payments[d["payment_id"]] = PaymentBooks(cents(d["amount"]), _date(d["received_date"]))
                on = _date(d["received_date"])
            else:
                on = _date(d["allocation_date"])
            payment = a.payments[d["payment_id"]]
            for allocation in d.get("allocations", []):
                inv = a.invoices[allocation["invoice_id"]]
                amount = cents(allocation["amount"])
                inv.settle(on, amount)
                payment.allocations.append((max(on, inv.issue), amount))
        elif kind == "CreditNoteIssued":
            a.invoices[d["invoice_id"]].settle(_date(d["issue_date"]), cents(d["amount"]))
            a.credit_notes += 1
        elif kind == "DisputeOpened":
            a.disputes[d["dispute_id"]] = DisputeBooks(d["invoice_id"], cents(d["amount"]), _date(d["opened_date"]))
        elif kind == "DisputeResolved":
            dispute = a.disputes[d["dispute_id"]]
            dispute.resolved = _date(d["resolved_date"])
            if d["outcome"] == "upheld":
                inv = a.invoices[dispute.invoice_id]
                given = d.get("credited_amount")
                credited = cents(given) if given is not None else min(dispute.amount, inv.open_on(None))
                if credited > 0:
                    inv.settle(dispute.resolved, credited)
        else:  # pragma: no cover - the generator makes no other fact
            raise AssertionError(kind)


# -- generating valid facts -------------------------------------------------------------------

AMOUNTS = st.one_of(st.integers(1, 40).map(lambda k: k * 2500), st.integers(1, 300_000))
LIMITS = st.one_of(st.sampled_from([0, 100_000, 250_000, 500_000, 1_000_000]), st.integers(0, 1_500_000))
OFFSETS = st.integers(-130, 25)
KINDS = (
    "OrderPlaced", "OrderCancelled", "InvoiceIssued", "InvoiceIssued", "InvoiceIssued", "PaymentReceived",
    "PaymentReceived", "PaymentAllocated", "CreditNoteIssued", "DisputeOpened", "DisputeOpened", "DisputeResolved",
    "LimitChanged", "RatingChanged",
)  # fmt: skip


def envelope(event_id: str, kind: str, account: str, **data: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": kind, "account": account, "data": data}


def _up_to(draw: Callable[..., Any], cap: int) -> int:
    return int(draw(st.one_of(st.just(cap), st.integers(1, cap))))


def _allocations(draw: Callable[..., Any], a: AccountBooks, cash: int | None) -> list[dict[str, str]]:
    """Allocations within the invoices' open balances and (if given) the cash available."""
    left = {k: i.open_on(None) for k, i in a.invoices.items() if i.open_on(None) > 0}
    out: list[dict[str, str]] = []
    for _ in range(draw(st.integers(0 if cash is None else 1, 3))):
        if not left or cash == 0:
            break
        invoice_id = draw(st.sampled_from(sorted(left)))
        cap = left[invoice_id] if cash is None else min(left[invoice_id], cash)
        amount = _up_to(draw, cap)
        left[invoice_id] -= amount
        if not left[invoice_id]:
            del left[invoice_id]
        if cash is not None:
            cash -= amount
        out.append({"invoice_id": invoice_id, "amount": money(amount)})
    return out


def _fact(draw: Callable[..., Any], kind: str, a: AccountBooks, eid: str, n: int) -> dict[str, Any] | None:
    code = a.code
    open_invoices = sorted(k for k, i in a.invoices.items() if i.open_on(None) > 0)
    if kind == "OrderPlaced":
        return envelope(eid, kind, code, order_id=f"O{n}", amount=money(draw(AMOUNTS)), order_date=day(draw(OFFSETS)))
    if kind == "OrderCancelled":
        live = sorted(k for k, o in a.orders.items() if not o.cancelled)
        if not live:
            return None
        order_id = draw(st.sampled_from(live))
        when = a.orders[order_id].placed + timedelta(days=draw(st.integers(0, 30)))
        return envelope(eid, kind, code, order_id=order_id, cancelled_date=when.isoformat())
    if kind == "InvoiceIssued":
        issue = draw(OFFSETS)
        data: dict[str, Any] = {"invoice_id": f"F{n}", "issue_date": day(issue),
                                "due_date": day(issue + draw(st.integers(0, 60)))}  # fmt: skip
        amounts = AMOUNTS
        if a.orders and draw(st.booleans()):
            data["order_id"] = draw(st.sampled_from(sorted(a.orders)))
            left = a.orders[data["order_id"]].uninvoiced_on(None)
            amounts = st.one_of(st.just(left), AMOUNTS) if left > 0 else AMOUNTS
        data["amount"] = money(draw(amounts))
        return envelope(eid, kind, code, **data)
    if kind == "PaymentReceived":
        allocations = _allocations(draw, a, None)
        allocated = sum(cents(x["amount"]) for x in allocations)
        extra = draw(st.one_of(st.just(0), AMOUNTS)) if allocated else draw(AMOUNTS)
        return envelope(eid, kind, code, payment_id=f"P{n}", amount=money(allocated + extra),
                        received_date=day(draw(OFFSETS)), allocations=allocations)  # fmt: skip
    if kind == "PaymentAllocated":
        payable = sorted(k for k, p in a.payments.items() if p.unapplied_on(None) > 0)
        if not payable or not open_invoices:
            return None
        payment_id = draw(st.sampled_from(payable))
        payment = a.payments[payment_id]
        allocations = _allocations(draw, a, payment.unapplied_on(None))
        when = payment.received + timedelta(days=draw(st.integers(0, 40)))
        return envelope(eid, kind, code, payment_id=payment_id, allocation_date=when.isoformat(),
                        allocations=allocations)  # fmt: skip
    if kind == "CreditNoteIssued":
        if not open_invoices:
            return None
        invoice_id = draw(st.sampled_from(open_invoices))
        amount = _up_to(draw, a.invoices[invoice_id].open_on(None))
        return envelope(eid, kind, code, credit_note_id=f"CN{n}", invoice_id=invoice_id, amount=money(amount),
                        issue_date=day(draw(OFFSETS)))  # fmt: skip
    if kind == "DisputeOpened":
        room = {k: a.invoices[k].open_on(None) - a.disputed_on(None, k) for k in open_invoices}
        candidates = sorted(k for k, r in room.items() if r > 0)
        if not candidates:
            return None
        invoice_id = draw(st.sampled_from(candidates))
        when = a.invoices[invoice_id].issue + timedelta(days=draw(st.integers(0, 40)))
        return envelope(eid, kind, code, dispute_id=f"D{n}", invoice_id=invoice_id,
                        amount=money(_up_to(draw, room[invoice_id])), reason="short delivery",
                        opened_date=when.isoformat())  # fmt: skip
    if kind == "DisputeResolved":
        unresolved = sorted(k for k, d in a.disputes.items() if d.resolved is None)
        if not unresolved:
            return None
        dispute_id = draw(st.sampled_from(unresolved))
        dispute = a.disputes[dispute_id]
        outcome = draw(st.sampled_from(["upheld", "upheld", "rejected", "withdrawn"]))
        extra: dict[str, Any] = {}
        balance = a.invoices[dispute.invoice_id].open_on(None)
        if outcome == "upheld" and balance > 0 and draw(st.booleans()):
            extra["credited_amount"] = money(_up_to(draw, balance))
        when = dispute.opened + timedelta(days=draw(st.integers(0, 30)))
        return envelope(eid, kind, code, dispute_id=dispute_id, outcome=outcome, resolved_date=when.isoformat(),
                        **extra)  # fmt: skip
    if kind == "LimitChanged":
        extra = {"insured_limit": money(draw(LIMITS))} if draw(st.booleans()) else {}
        return envelope(eid, kind, code, credit_limit=money(draw(LIMITS)), reason="review", **extra)
    if kind == "RatingChanged":
        return envelope(eid, kind, code, agency="Coface", score=str(draw(st.integers(1, 10))))
    raise AssertionError(kind)


@dataclass
class Portfolio:
    facts: list[dict[str, Any]]
    batches: list[list[dict[str, Any]]]

    @property
    def codes(self) -> list[str]:
        return [f["account"] for f in self.facts if f["type"] == "AccountOpened"]

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return "Portfolio(batches=[\n" + ",\n".join(f"  {b!r}" for b in self.batches) + "])"


@st.composite
def portfolios(draw: Callable[..., Any], max_facts: int = 40, max_batch: int = 8) -> Portfolio:
    """2 to 4 accounts and at most `max_facts` facts, each valid when recorded in order,
    cut into batches of 1 to `max_batch` facts."""
    books = Books()
    facts: list[dict[str, Any]] = []

    def add(fact: dict[str, Any]) -> None:
        books.apply(fact)
        facts.append(fact)

    codes = [f"A{i}" for i in range(1, draw(st.integers(2, 4)) + 1)]
    for code in codes:
        insured = draw(st.one_of(st.none(), LIMITS))
        extra = {} if insured is None else {"insured_limit": money(insured)}
        add(envelope(f"open-{code}", "AccountOpened", code, name=f"Customer {code}", currency="EUR",
                     credit_limit=money(draw(LIMITS)), **extra))  # fmt: skip
    for n in range(draw(st.integers(1, max_facts - len(codes)))):
        account = books.accounts[draw(st.sampled_from(codes))]
        kind = draw(st.sampled_from(KINDS))
        fact = _fact(draw, kind, account, f"e{n}", n) or _fact(draw, "InvoiceIssued", account, f"e{n}", n)
        assert fact is not None
        add(fact)
    return batched(draw, facts, max_batch)


def batched(draw: Callable[..., Any], facts: list[dict[str, Any]], max_batch: int) -> Portfolio:
    """The facts cut into batches of 1 to `max_batch`."""
    batches, start = [], 0
    while start < len(facts):
        size = draw(st.integers(1, max_batch))
        batches.append(facts[start : start + size])
        start += size
    return Portfolio(facts, batches)


def typed(facts: list[dict[str, Any]]) -> list[Envelope]:
    """Facts as the ledger takes them (what POST /v1/events makes of them)."""
    envelopes, _ = parse_body(orjson.dumps({"events": facts}))
    return envelopes


# -- a store per example ---------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """An empty database on the store of `database_url`, one per hypothesis example: a new
    file on SQLite; on PostgreSQL the test's own database with every row deleted and every
    sequence restarted (creating a database costs ~150 ms, this ~15)."""
    if database_url.startswith("sqlite"):
        folder = database_url.removeprefix("sqlite:///").rpartition("/")[0]
        yield f"sqlite:///{folder}/{uuid.uuid4().hex[:12]}.db"
        return
    with psycopg.connect(database_url, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        sequences = [
            row[0] for row in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ]
        with conn.transaction():
            for name in names:
                conn.execute(f'DELETE FROM "{name}"')
            for name in sequences:
                conn.execute(f'ALTER SEQUENCE "{name}" RESTART')
    yield database_url


@contextlib.contextmanager
def fresh_service(database_url: str, **settings: Any) -> Iterator[tuple[Any, Any]]:
    with fresh_database(database_url) as url:
        service, app = make_service(url, **settings)
        try:
            yield service, app
        finally:
            stop_service(app)


@dataclass
class Store:
    """The write side and the read model's engine, without the HTTP service or its thread."""

    url: str
    ledger: Ledger
    engine: Engine

    def record(self, facts: list[dict[str, Any]]) -> int:
        outcomes = self.ledger.record(typed(facts))
        return max(o.position for o in outcomes)


_MIGRATED: set[str] = set()


@contextlib.contextmanager
def fresh_store(database_url: str) -> Iterator[Store]:
    with fresh_database(database_url) as url:
        if url not in _MIGRATED:  # a database reused from the previous example has its tables
            migrate(url)
            _MIGRATED.add(url)
        ledger = Ledger(eventstore_env(url))
        engine = sync_engine(url)
        try:
            yield Store(url, ledger, engine)
        finally:
            engine.dispose()
            ledger.close()


# -- the read model's tables, canonically -------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model table (tracking included), surrogate ids left out, rows sorted.
    What the risk review writes is left out (the risk columns, the class downgrades, its
    count of reviews that changed a class and the position it has reviewed to): a score is as of the day of the review,
    not a fold of the facts, and reviews run after batches, when a projection is caught up."""
    out = {}
    with engine.connect() as conn:
        for table in (*schema.VIEW_TABLES, schema.tracking):
            left_out = ("id", *REVIEWED) if table is schema.collections else ("id",)
            columns = [c for c in table.c if c.name not in left_out]
            query = select(*columns)
            if table is schema.alerts:
                query = query.where(~((table.c.type == "rating_downgraded") & (table.c.subject == RISK_SUBJECT)))
            if table is schema.tracking:
                query = query.where(table.c.view.not_in((REVIEWS, REVIEWED_POSITION)))
            rows = [tuple(_canonical(v) for v in row) for row in conn.execute(query)]
            out[table.name] = sorted(rows, key=repr)
    return out


def differences(left: dict[str, list[tuple[Any, ...]]], right: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """Per table, the rows only on the left and only on the right (empty when the read models are equal)."""
    out = {}
    for name in sorted(set(left) | set(right)):
        a, b = list(left.get(name, [])), list(right.get(name, []))
        only_left = [row for row in a if row not in b or a.count(row) > b.count(row)]
        only_right = [row for row in b if row not in a or b.count(row) > a.count(row)]
        if only_left or only_right:
            out[name] = {"only_left": only_left, "only_right": only_right}
    return out
