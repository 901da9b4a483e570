"""What the projection keeps on each account's row for the account directory
(projections/directory.py), so that it searches, filters and sorts without reading
invoices: the code and the name folded (casefolded, accents stripped: "societe"
finds "Société"), the due date of the oldest open invoice (overdue from the next
day on, so "with overdue items" and "oldest days past due" follow for any today)
and the open disputes. Written with the row, once per account and batch (rows.account_row)."""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from o2c.domain.account import CustomerAccount

SEPARATOR = "\n"  # between the code and the name in `search`: no code or name holds a control character


@functools.lru_cache(maxsize=100_000)  # the projection folds each account's name and code at every batch
def folded(text: str) -> str:
    """Casefolded, accents stripped: "Société" and "SOCIETE" are "societe", "Straße" is "strasse"."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def directory_columns(account: CustomerAccount) -> dict[str, Any]:
    """The account row's directory columns, from the account as projected (once per
    account and batch). The oldest due date is read from the open invoices the
    account keeps as they settle (exactly those with a balance), not its whole history."""
    name = folded(account.name)
    return {
        "name_key": name,
        "search": folded(account.id) + SEPARATOR + name,
        "oldest_due_date": min((invoice.due_date for invoice in account.open_invoices.values()), default=None),
        "open_disputes": sum(1 for d in account.disputes.values() if d.outcome is None),
    }
