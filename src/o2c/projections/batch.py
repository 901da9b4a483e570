"""One projected batch: the rows it adds or changes, and how they are written
(in the caller's transaction, with the tracking position)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, text, update

from o2c.projections import schema
from o2c.projections.bulk import insert_rows, upsert_rows

A = schema.alerts.c


@dataclass
class Batch:
    lines: list[dict[str, Any]] = field(default_factory=list)
    # Portfolio sums, per currency: amounts in different currencies never add up.
    receivables: defaultdict[tuple[str, date, date], int] = field(default_factory=lambda: defaultdict(int))
    balances: defaultdict[tuple[str, str, date], int] = field(default_factory=lambda: defaultdict(int))
    positions: dict[str, int] = field(default_factory=dict)  # account -> position of its last fact projected
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # built from `positions` once per batch
    invoices: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    alerts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # ("raise"|"clear", values), in order
    touched: dict[str, Any] = field(default_factory=dict)  # account -> as projected (alerting.Projected)
    cases: dict[str, int] = field(default_factory=dict)  # account -> position of its last fact changing its case
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    commitments: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    # Rules of timed alerts (projections/spells.py): each changed one's rules in order, and the rows kept.
    rules: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    timed: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    budgets: dict[str, dict[str, Any]] = field(default_factory=dict)
    fx_rates: dict[date, list[dict[str, Any]]] = field(default_factory=dict)  # a day's rows replace its rows
    shard: int = 0  # the writer's rows of the portfolio sums (schema.portfolio_receivables)

    def write(self, conn: Connection) -> None:
        insert_rows(conn, schema.lines, self.lines)
        upsert_rows(
            conn,
            schema.portfolio_receivables,
            [
                {"currency": c, "due_date": d, "effective_date": e, "shard": self.shard, "amount": a}
                for (c, d, e), a in self.receivables.items()
            ],
            ["currency", "due_date", "effective_date", "shard"],
            lambda new: {"amount": schema.portfolio_receivables.c.amount + new.amount},
        )
        upsert_rows(
            conn,
            schema.portfolio_balances,
            [
                {"currency": c, "measure": m, "effective_date": e, "shard": self.shard, "amount": a}
                for (c, m, e), a in self.balances.items()
            ],
            ["currency", "measure", "effective_date", "shard"],
            lambda new: {"amount": schema.portfolio_balances.c.amount + new.amount},
        )
        upsert_rows(
            conn,
            schema.accounts,
            list(self.accounts.values()),
            ["account"],
            _replace_all(schema.accounts, ["account"]),
        )
        upsert_rows(
            conn,
            schema.invoices,
            list(self.invoices.values()),
            ["account", "invoice_id"],
            lambda new: {
                "open_balance": new.open_balance,
                "disputed": new.disputed,
                "settled_at": func.coalesce(schema.invoices.c.settled_at, new.settled_at),
            },
        )
        for table, rows, keys, kept in (
            (schema.collections, self.collections, ["account"], _KEEP_RISK),
            (schema.commitments, self.commitments, ["account", "kind", "commitment_id"], ()),
            (schema.timed_conditions, self.timed, ["account", "type", "subject"], ()),
            (schema.scenarios, self.scenarios, ["name"], ()),
            (schema.budgets, self.budgets, ["month"], ()),
        ):
            upsert_rows(conn, table, list(rows.values()), keys, _replace_all(table, [*keys, *kept]))
        if self.fx_rates:
            conn.execute(delete(schema.fx_rates).where(schema.fx_rates.c.rate_date.in_(list(self.fx_rates))))
            insert_rows(conn, schema.fx_rates, [row for rows in self.fx_rates.values() for row in rows])
        write_alerts(conn, self.alerts)


# The risk review writes these columns, not the batch (`risk_points`: the database, from `risk`).
_KEEP_RISK = ("risk", "risk_class", "risk_points")


def _replace_all(table: Any, keys: list[str]) -> Any:
    return lambda new: {c.name: getattr(new, c.name) for c in table.c if c.name not in keys}


_CLEAR = (
    update(schema.alerts)
    .where(
        A.account == bindparam("k_account"),
        A.type == bindparam("k_type"),
        A.subject == bindparam("k_subject"),
        A.cleared_at.is_(None),
    )
    .values(cleared_at=bindparam("k_at"))
)


# PostgreSQL: the clears as one statement, keys and times as arrays (an UPDATE a clear,
# even pipelined, took a tenth of a catch-up's writing).
_CLEAR_ALL = text(
    "UPDATE rm_alerts AS a SET cleared_at = k.at FROM unnest(CAST(:accounts AS VARCHAR[]), "
    "CAST(:types AS VARCHAR[]), CAST(:subjects AS VARCHAR[]), CAST(:ats AS TIMESTAMPTZ[])) "
    "AS k(account, type, subject, at) "
    "WHERE a.account = k.account AND a.type = k.type AND a.subject = k.subject AND a.cleared_at IS NULL"
)


def _clear(conn: Connection, cleared: list[dict[str, Any]]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(_CLEAR, cleared)
        return
    # One clear a key: a second would find the alert cleared by the first already.
    first: dict[tuple[str, str, str], Any] = {}
    for c in cleared:
        first.setdefault((c["k_account"], c["k_type"], c["k_subject"]), c["k_at"])
    conn.execute(
        _CLEAR_ALL,
        {
            "accounts": [k[0] for k in first],
            "types": [k[1] for k in first],
            "subjects": [k[2] for k in first],
            "ats": list(first.values()),
        },
    )


def write_alerts(conn: Connection, changes: list[tuple[str, dict[str, Any]]]) -> None:
    """Applies raises and clears given in order, in two statements: an alert raised
    and cleared within the batch is inserted already cleared; clears of alerts
    raised before the batch run first, so they cannot touch the new rows."""
    inserted: list[dict[str, Any]] = []
    raised_here: dict[tuple[str, str, str], dict[str, Any]] = {}
    cleared: list[dict[str, Any]] = []
    for action, values in changes:
        key = (values["account"], values["type"], values["subject"])
        if action == "raise":
            row = dict(values)
            inserted.append(row)
            raised_here[key] = row
        elif key in raised_here:
            raised_here.pop(key)["cleared_at"] = values["at"]
        else:
            cleared.append({f"k_{k}": v for k, v in values.items()})
    if cleared:
        _clear(conn, cleared)
    insert_rows(conn, schema.alerts, inserted)
    log_alert_changes(conn, changes)


# PostgreSQL: the writing transaction's id, by which `o2c kafka-publish` reads the log in order.
_TXID = text("SELECT pg_current_xact_id()::text::bigint")


def log_alert_changes(conn: Connection, changes: list[tuple[str, dict[str, Any]]]) -> None:
    """Appends each raise and clear, in order, to rm_alert_changes (schema.alert_changes)."""
    rows: list[dict[str, Any]] = []
    for action, values in changes:
        common = {"account": values["account"], "type": values["type"], "subject": values["subject"]}
        if action == "raise":
            alert = {"severity": values["severity"], "effective_date": values["effective_date"].isoformat(),
                     "details": values["details"]}  # fmt: skip
            rows.append({**common, "change": "raised", "at": values["raised_at"], "alert": alert})
            if values["cleared_at"] is not None:  # a timed alert known to have ended already
                rows.append({**common, "change": "cleared", "at": values["cleared_at"], "alert": {}})
        else:
            rows.append({**common, "change": "cleared", "at": values["at"], "alert": {}})
    if rows and conn.dialect.name == "postgresql":
        # Asked once, then sent by COPY with the rows (a multi-row INSERT of the expression
        # cost ~100 µs a row to build and parse: a tenth of a catch-up).
        txid = conn.execute(_TXID).scalar_one()
        rows = [{**row, "txid": txid} for row in rows]
    insert_rows(conn, schema.alert_changes, rows)
