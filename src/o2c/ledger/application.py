"""The ledger: records ERP facts on customer accounts, exactly once.

A batch of facts is one transaction: every event it produces and the receipt
of every new `event_id` are written together, or nothing is. Accounts touched
by a batch are kept in memory between batches (one writer per process); a
concurrent writer elsewhere shows up as a version conflict, and the batch is
then replayed on fresh state.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, StoredEvent, Transcoder

from o2c.adapters.recorders import PostgresLedgerRecorder, Receipt, SQLiteLedgerRecorder
from o2c.adapters.transcoder import OrjsonTranscoder
from o2c.domain.account import CustomerAccount, check_scenario_known
from o2c.domain.errors import Conflict, NotFound, RuleViolation
from o2c.domain.facts import DATED_ON_RECORDING, OPENING_FACT, RECORDED_BY
from o2c.domain.scenarios import DEFAULT_SCENARIOS, SCENARIO_PREFIX, Scenario
from o2c.ledger import raised
from o2c.ledger.envelope import Envelope, Outcome, Rejected

MAX_ATTEMPTS = 8
LIVE_ACCOUNTS = 20_000


class ConcurrentWriters(Exception):
    """Other writers kept winning the race for the same accounts."""


class Ledger(Application[str]):
    name = "o2c"

    def __init__(self, env: dict[str, str], clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(env)
        self.clock = clock or (lambda: datetime.now(UTC))
        # One batch at a time; admin writes (ledger/admin.py) take it too.
        self.write_lock = threading.Lock()
        self._live: OrderedDict[str, CustomerAccount] = OrderedDict()
        # What a kept account's alerts depended on after its last batch, at that version.
        self._told: dict[str, tuple[int, raised.Before]] = {}
        self.conflicts_retried = 0  # batches replayed after another writer won a race
        self.on_recorded: list[Callable[[], None]] = []  # e.g. wake the projection
        self._scenarios: set[str] = set()  # stored scenarios seen: one is never removed

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    @property
    def store(self) -> SQLiteLedgerRecorder | PostgresLedgerRecorder:
        assert isinstance(self.recorder, SQLiteLedgerRecorder | PostgresLedgerRecorder)
        return self.recorder

    # -- writing -------------------------------------------------------------------

    def record(self, envelopes: Sequence[Envelope]) -> list[Outcome]:
        """Records a batch atomically; raises Rejected naming the first fact
        that breaks a rule (and records nothing)."""
        return self.record_and_tell(envelopes, tell=False)[0]

    def record_and_tell(
        self, envelopes: Sequence[Envelope], *, tell: bool = True
    ) -> tuple[list[Outcome], list[dict[str, Any]]]:
        """As `record`, and (with `tell`) the alerts the batch raised (see `raised`)."""
        with self.write_lock:
            for attempt in range(MAX_ATTEMPTS):
                trust_live = attempt == 0
                try:
                    told = self._record_once(envelopes, trust_live, tell)
                except IntegrityError:
                    # Another writer recorded on these accounts (or these event ids)
                    # first: start again from what is stored now.
                    self.conflicts_retried += 1
                    time.sleep(0.005 * attempt)
                except Rejected:
                    if not trust_live:
                        raise
                    # Rejections are always confirmed on fresh state, in case
                    # the kept accounts were behind another writer.
                else:
                    for listener in self.on_recorded:
                        listener()
                    return told
            raise ConcurrentWriters(f"gave up after {MAX_ATTEMPTS} attempts")

    def _record_once(
        self, envelopes: Sequence[Envelope], trust_live: bool, tell: bool
    ) -> tuple[list[Outcome], list[dict[str, Any]]]:
        known = self.store.select_receipts([e.event_id for e in envelopes])
        touched = self._accounts([e.account for e in envelopes if e.event_id not in known], trust_live)
        today = self.clock().date()
        scenarios = self._stored_scenarios(envelopes)
        earlier = {code: self._earlier(code, account) for code, account in touched.items()} if tell else {}
        events: list[DomainEventProtocol[str]] = []
        receipts: list[Receipt] = []
        # (event_id, status, its position if recorded before this batch)
        outcomes: list[tuple[str, Literal["recorded", "duplicate"], int | None]] = []
        in_batch: dict[str, Receipt] = {}
        try:
            for index, envelope in enumerate(envelopes):
                prior = known.get(envelope.event_id) or in_batch.get(envelope.event_id)
                if prior is not None:
                    if prior.fingerprint != envelope.fingerprint:
                        raise Rejected(
                            index,
                            Conflict("event_id", f"'{envelope.event_id}' was already recorded with other content"),
                        )
                    outcomes.append((envelope.event_id, "duplicate", prior.position or None))
                    continue
                try:
                    account = self._apply(envelope, touched, today, scenarios)
                except RuleViolation as violation:
                    raise Rejected(index, violation) from None
                events.extend(account.collect_events())
                receipt = Receipt(envelope.event_id, envelope.account, envelope.fingerprint)
                receipts.append(receipt)
                in_batch[envelope.event_id] = receipt
                outcomes.append((envelope.event_id, "recorded", None))
            positions = self._store(events, receipts) if events else {}
        except BaseException:
            self._forget(touched)
            raise
        self._keep(touched)
        alerts: list[dict[str, Any]] = []
        if tell and events:
            alerts, now = raised.raised(earlier, touched, events)
            self._told.update((code, (a.version, now[code])) for code, a in touched.items() if a is not None)
        return [Outcome(e, status, positions[e] if at is None else at) for e, status, at in outcomes], alerts

    def _store(self, events: list[DomainEventProtocol[str]], receipts: list[Receipt]) -> dict[str, int]:
        """Writes the events, in the batch's order, with their receipts; returns
        each event_id's position. What `Application.save` does with them, less the
        per-event overhead nobody reads here: a runtime-Protocol check of every
        event and a Recording and a Notification object for each."""
        stored = list(map(self.mapper.to_stored_event, events))
        positions = self.recorder.insert_events(stored, receipts=receipts)
        assert positions is not None, "an application recorder returns positions"
        return dict(zip((r.event_id for r in receipts), positions, strict=True))

    def _apply(
        self, envelope: Envelope, touched: dict[str, CustomerAccount | None], today: Any, scenarios: set[str]
    ) -> CustomerAccount:
        code = envelope.account
        account = touched[code]
        data = envelope.data
        if envelope.type == OPENING_FACT:
            if account is not None:
                raise Conflict("account", f"account {code} is already open")
            account = CustomerAccount.open(account=code, event_id=envelope.event_id, **data)
            if envelope.currency is not None:
                account.check_currency_matches("currency", envelope.currency)
            touched[code] = account
            return account
        if account is None:
            raise NotFound("account", f"no account {code}; open it with AccountOpened first")
        if envelope.currency is not None:
            account.check_currency_matches("currency", envelope.currency)
        if envelope.type == "ScenarioAssigned" and data.get("scenario") is not None:
            check_scenario_known("data.scenario", data["scenario"], scenarios)
        dated_by = DATED_ON_RECORDING.get(envelope.type)
        if "currency" in data or dated_by is not None:
            data = dict(data)
            currency = data.pop("currency", None)
            if currency is not None:
                account.check_currency_matches("data.currency", currency)
            if dated_by is not None:
                # A fact posted without its business date takes the day it was recorded.
                data.setdefault(dated_by, today)
        getattr(account, RECORDED_BY[envelope.type])(event_id=envelope.event_id, **data)
        return account

    def _stored_scenarios(self, envelopes: Sequence[Envelope]) -> set[str]:
        """The stored scenarios among those the batch assigns (one query for the
        names not seen stored yet)."""
        named = {e.data["scenario"] for e in envelopes if e.type == "ScenarioAssigned" and e.data.get("scenario")}
        unseen = [Scenario.create_id(name) for name in named - self._scenarios - DEFAULT_SCENARIOS.keys()]
        if unseen:
            found = self.store.select_histories(unseen)
            self._scenarios.update(code.removeprefix(SCENARIO_PREFIX) for code in found)
        return self._scenarios

    def _accounts(self, codes: Sequence[str], trust_live: bool) -> dict[str, CustomerAccount | None]:
        """The batch's accounts (None: not open), the kept ones as kept and
        the others rebuilt from the store with one query, not one each."""
        accounts: dict[str, CustomerAccount | None] = {}
        missing: list[str] = []
        for code in dict.fromkeys(codes):
            if trust_live and code in self._live:
                self._live.move_to_end(code)
                accounts[code] = self._live[code]
            else:
                missing.append(code)
        if missing:
            histories = self.store.select_histories(missing)
            for code in missing:
                account = self._rebuilt(histories.get(code, ()))
                # Another kind of aggregate (a scenario, a budget) is no customer's account.
                accounts[code] = account if isinstance(account, CustomerAccount) else None
        return accounts

    def _rebuilt(self, history: Iterable[StoredEvent]) -> Any:
        aggregate = None
        for stored in history:
            aggregate = self.mapper.to_domain_event(stored).mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def _earlier(self, code: str, account: CustomerAccount | None) -> raised.Before:
        told = self._told.get(code)
        if account is not None and told is not None and told[0] == account.version:
            return told[1]
        return raised.before(account)

    def _keep(self, touched: dict[str, CustomerAccount | None]) -> None:
        for code, account in touched.items():
            if account is not None:
                self._live[code] = account
                self._live.move_to_end(code)
        while len(self._live) > LIVE_ACCOUNTS:
            self._told.pop(self._live.popitem(last=False)[0], None)

    def _forget(self, touched: dict[str, CustomerAccount | None]) -> None:
        # Their in-memory state may hold facts that were not recorded.
        for code in touched:
            self._live.pop(code, None)

    # -- reading (audit) -------------------------------------------------------------

    def stored_account(self, code: str, known_at: datetime | None = None) -> CustomerAccount | None:
        """The account rebuilt from its stored history, as known at `known_at`."""
        account: CustomerAccount | None = None
        for entry in self.store.select_positioned_events(code):
            event = self.mapper.to_domain_event(entry.stored)
            if known_at is not None and event.timestamp > known_at:
                break
            account = event.mutate(account)  # type: ignore[attr-defined]
        return account

    def history(
        self, code: str, after_version: int = 0, limit: int | None = None
    ) -> list[tuple[int, DomainEventProtocol[str]]]:
        """(position, event) of an account's recorded facts, oldest first."""
        return [
            (entry.position, self.mapper.to_domain_event(entry.stored))
            for entry in self.store.select_positioned_events(code, after_version=after_version, limit=limit)
        ]
