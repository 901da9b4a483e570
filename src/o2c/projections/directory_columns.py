"""What the projection keeps on each account's row for the account directory
(projections/directory.py), so that it searches, filters and sorts without reading
invoices: the code and the name folded (casefolded, accents stripped: "societe"
finds "Société"), the due date of the oldest open invoice (overdue from the next
day on, so "with overdue items" and "oldest days past due" follow for any today)
and the open disputes. Written with the row at every fact (rows.account_row)."""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from o2c.domain.account import CustomerAccount

SEPARATOR = "\n"  # between the code and the name in `search`: no code or name holds a control character


@functools.lru_cache(maxsize=100_000)  # the projection folds each account's name and code at every fact
def folded(text: str) -> str:
    """Casefolded, accents stripped: "Société" and "SOCIETE" are "societe", "Straße" is "strasse"."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def directory_columns(account: CustomerAccount) -> dict[str, Any]:
    """The account row's directory columns, from the account as projected (at every
    fact: ~1.7 µs for an account of 30 invoices)."""
    name = folded(account.name)
    oldest = None
    for invoice in account.invoices.values():
        if invoice.open_balance and (oldest is None or invoice.due_date < oldest):  # never below zero
            oldest = invoice.due_date
    return {
        "name_key": name,
        "search": folded(account.id) + SEPARATOR + name,
        "oldest_due_date": oldest,
        "open_disputes": sum(1 for d in account.disputes.values() if d.outcome is None),
    }
