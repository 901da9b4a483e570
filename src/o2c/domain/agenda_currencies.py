"""The agenda of a portfolio kept in several currencies: a collector's worklist
never adds or compares euros with yen. Without a reporting currency accounts
come by currency, then by priority within it; with one, every priority is
converted at the day's rates and the whole list is ranked on that."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from heapq import merge

from o2c.domain.agenda import AccountAgenda
from o2c.domain.fx import Conversion
from o2c.domain.money import ZERO


@dataclass(frozen=True)
class CurrencyShare:
    """One currency's part of the agenda: how many accounts, how much at risk."""

    currency: str
    accounts: int
    amount_at_risk: Decimal


@dataclass(frozen=True)
class RankedAgenda:
    entries: list[AccountAgenda]  # in the order a collector works them
    by_currency: tuple[CurrencyShare, ...]  # by currency code

    def amounts_at_risk(self) -> dict[str, Decimal]:
        return {share.currency: share.amount_at_risk for share in self.by_currency}


def currencies_of(entries: Sequence[AccountAgenda]) -> list[str]:
    """The currencies on the agenda, by code: a few binary searches, as `agenda` keeps
    entries by currency (asked on every page, of 10,000 entries)."""
    found: list[str] = []
    at = 0
    while at < len(entries):
        found.append(entries[at].currency)
        at = bisect_right(entries, found[-1], lo=at, key=_currency)
    return found


def ranked_agenda(
    entries: Sequence[AccountAgenda], currency: str | None = None, conversions: Mapping[str, Conversion] | None = None
) -> RankedAgenda:
    """The day's agenda (as `agenda` orders it: by currency, then priority, then code)
    kept to `currency` if given, and ranked on priorities converted by `conversions`
    (one for every currency on it) when a reporting currency applies."""
    runs = [_run(entries, code) for code in ([currency] if currency is not None else currencies_of(entries))]
    if conversions is None:
        chosen = [entry for run in runs for entry in run]
    else:
        # A conversion is a positive factor: it reorders accounts across currencies, never
        # within one, so the runs of each currency merge (a sort would compare far more often).
        chosen = list(merge(*runs, key=lambda e: (-conversions[e.currency].convert(e.priority), e.account)))
    shares = tuple(
        CurrencyShare(run[0].currency, len(run), sum((e.amount_at_risk for e in run), ZERO)) for run in runs if run
    )
    return RankedAgenda(chosen, shares)


def _currency(entry: AccountAgenda) -> str:
    return entry.currency


def _run(entries: Sequence[AccountAgenda], currency: str) -> Sequence[AccountAgenda]:
    """The entries of one currency, in their order."""
    return entries[bisect_left(entries, currency, key=_currency) : bisect_right(entries, currency, key=_currency)]
