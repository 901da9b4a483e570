"""The read model's tables (SQLAlchemy Core). Alembic migrations in
`migrations/` create them; this module is their single description.

A past date is a query, not a replay: every balance is kept as dated lines
(a line counts from its `effective_date` on), so any view at `as_of` D is a
sum of lines with effective_date <= D. Current figures are kept as running
totals beside them for the views that ask about now.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    text,
)

metadata = MetaData()

# Amounts in 1/10,000 currency units (projections/units.py). PostgreSQL keeps them as
# NUMERIC(38,0): any sum of accepted facts fits (10^38 units is 10^22 facts of the
# largest amount) and SQL sums stay exact. SQLite has 64-bit integers only: a value
# beyond ±9.2e18 units (922,337,203,685,477 currency units) fails the fact's
# projection instead of turning into a float (sqlite3 refuses the int; the CHECK
# below catches a sum SQL adds up itself).
AMOUNT = Numeric(38, 0).with_variant(BigInteger, "sqlite")
# An id accepted before the ledger's limits (domain/limits.py) could be 200
# characters long; a derived subject (`promise:ID`) adds its kind.
ID = 200
SUBJECT = 250


def _whole_units(table: str) -> CheckConstraint:
    return CheckConstraint("typeof(amount) = 'integer'", name=f"{table}_whole_units").ddl_if(dialect="sqlite")


# Where the read model is in the ledger's log: written with the rows it covers.
tracking = Table(
    "rm_tracking",
    metadata,
    Column("view", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

accounts = Table(
    "rm_accounts",
    metadata,
    Column("account", String(ID), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_limit", AMOUNT, nullable=False),
    Column("insured_limit", AMOUNT),
    Column("payment_terms_days", Integer, nullable=False),
    Column("risk_class", String(1)),
    Column("rating", JSON),
    Column("outstanding", AMOUNT, nullable=False),
    Column("uninvoiced", AMOUNT, nullable=False),
    Column("unapplied_cash", AMOUNT, nullable=False),
    Column("disputed", AMOUNT, nullable=False),
    Column("exposure", AMOUNT, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    # The account directory's (projections/directory_columns.py): casefolded, accents stripped,
    # so that "societe" finds "Société"; what its filters and sorts need without today.
    Column("name_key", String, nullable=False, server_default=""),  # the name folded: sort by name
    Column("search", String, nullable=False, server_default=""),  # code and name folded, "\n" between
    Column("oldest_due_date", Date),  # of its oldest invoice still open: overdue from the day after
    Column("open_disputes", Integer, nullable=False, server_default="0"),
    # PostgreSQL: a trigram index on `search` when pg_trgm is there (migration 0008).
    Index("rm_accounts_currency", "currency"),  # `currency=` on the directory and portfolio views
)

invoices = Table(
    "rm_invoices",
    metadata,
    Column("account", String(ID), primary_key=True),
    Column("invoice_id", String(ID), primary_key=True),
    Column("amount", AMOUNT, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("open_balance", AMOUNT, nullable=False),
    Column("disputed", AMOUNT, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True)),  # when its open balance reached zero
    Index("rm_invoices_issued", "account", "issue_date"),
    Index("rm_invoices_due", "due_date"),
    # Overdue today (summary, directory): the open invoices alone, read from the index only on PostgreSQL.
    Index(
        "rm_invoices_open",
        "account",
        "due_date",
        postgresql_include=["open_balance", "invoice_id"],
        postgresql_where=text("open_balance > 0"),
        sqlite_where=text("open_balance > 0"),
    ),
)

# measure: receivable (with due_date), unapplied, uninvoiced, disputed.
lines = Table(
    "rm_lines",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("position", BigInteger, nullable=False),
    Column("account", String(ID), nullable=False),
    Column("measure", String(16), nullable=False),
    Column("ref", String(ID), nullable=False),
    Column("due_date", Date),
    Column("effective_date", Date, nullable=False),
    Column("amount", AMOUNT, nullable=False),
    Index("rm_lines_by_account", "account", "measure", "effective_date"),
    Index("rm_lines_by_measure", "measure", "effective_date"),  # the month's cash and disputes
)

# Portfolio sums of the lines, per currency, so portfolio views read thousands of rows, not millions.
# `shard`: the writer's (0 for the single projector; a Kafka worker's lowest partition), so that
# projection workers never wait on each other's rows: a figure is the sum over shards.
portfolio_receivables = Table(
    "rm_portfolio_receivables",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("due_date", Date, primary_key=True),
    Column("effective_date", Date, primary_key=True),
    Column("shard", SmallInteger, primary_key=True, server_default="0"),
    Column("amount", AMOUNT, nullable=False),
    _whole_units("rm_portfolio_receivables"),
)

# measure: unapplied, uninvoiced, disputed, sales (invoiced amounts by issue date).
portfolio_balances = Table(
    "rm_portfolio_balances",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("measure", String(16), primary_key=True),
    Column("effective_date", Date, primary_key=True),
    Column("shard", SmallInteger, primary_key=True, server_default="0"),
    Column("amount", AMOUNT, nullable=False),
    _whole_units("rm_portfolio_balances"),
)

alerts = Table(
    "rm_alerts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account", String(ID), nullable=False),
    Column("type", String(32), nullable=False),
    Column("subject", String(SUBJECT), nullable=False),  # what it is about: the account, a dispute, …
    Column("severity", String(16), nullable=False),
    Column("effective_date", Date, nullable=False),  # the business date its condition started
    Column("raised_at", DateTime(timezone=True), nullable=False),  # when o2c recorded that
    Column("cleared_at", DateTime(timezone=True)),
    Column("details", JSON, nullable=False),
    Index("rm_alerts_by_account", "account", "type", "subject"),
    Index("rm_alerts_open", "cleared_at", "type"),
)

# Collections: per account, what the agenda and the risk view need, kept as the
# domain's own JSON case (open invoices, steps recorded, promise and plan windows).
collections = Table(
    "rm_collections",
    metadata,
    Column("account", String(ID), primary_key=True),
    Column("risk_class", String(1)),  # in force: a credit manager's class, else the computed one
    Column("risk", JSON),  # points, computed class and the factors that made it
    Column("scenario", String(100)),  # assigned to the account; none: its class's scenario
    Column("formal_notice_open", Boolean, nullable=False),
    Column("at_risk", AMOUNT, nullable=False),  # open balance less disputed: what the agenda may chase
    Column("case", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
    # The review's points, kept by the database from `risk` (the directory sorts on them).
    Column("risk_points", Float, Computed("CAST(risk ->> 'points' AS FLOAT)")),
    Index("rm_collections_at_risk", "at_risk"),
    # What the directory reads of every account (class, scenario, points) without the wide rows.
    Index("rm_collections_directory", "account", "risk_class", "scenario", "risk_points"),
)

# Promises to pay and payment plans, for the `promise_broken` alerts time alone raises.
commitments = Table(
    "rm_commitments",
    metadata,
    Column("account", String(ID), primary_key=True),
    Column("kind", String(8), primary_key=True),  # promise | plan
    Column("commitment_id", String(ID), primary_key=True),
    Column("broken_on", Date),  # as the ledger knows it now (may lie ahead); none while kept
    Column("due_on", Date, nullable=False),  # the promised date, or the plan's last installment
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),  # when it stopped holding: kept after all, or settled
    Index("rm_commitments_broken", "broken_on"),
)

# Alerts that follow a rule of business days (projections/spells.py): the days each invoice a
# plan names has something past due, the days each promise or plan is broken; each as known
# since `since`. The daily sweep works out the spells of those whose `next_change` has come.
timed_conditions = Table(
    "rm_timed_conditions",
    metadata,
    Column("account", String(ID), primary_key=True),
    Column("type", String(32), primary_key=True),  # overdue | promise_broken
    Column("subject", String(SUBJECT), primary_key=True),  # the invoice, or `promise:ID` / `plan:ID`
    Column("days", JSON, nullable=False),  # [[from, until or null], …]: the business days it holds on
    Column("since", DateTime(timezone=True), nullable=False),
    Column("details", JSON, nullable=False),
    Column("next_change", DateTime(timezone=True)),  # when the condition next starts or ends, if ever
    Index("rm_timed_conditions_next", "next_change"),
)

scenarios = Table(
    "rm_scenarios",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("risk_classes", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

budgets = Table(
    "rm_budgets",
    metadata,
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("figures", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Exchange rates recorded by an administrator (domain/fx_rates.py): the latest
# version of each day's document, a row per quote. The rate is kept as written
# (text): exact on both stores, where SQLite's NUMERIC would be a float.
fx_rates = Table(
    "rm_fx_rates",
    metadata,
    Column("rate_date", Date, primary_key=True),
    Column("quote", String(3), primary_key=True),
    Column("base", String(3), nullable=False),
    Column("rate", String(40), nullable=False),  # units of quote for one unit of base
    Column("version", Integer, nullable=False),  # of the day's document
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("rm_fx_rates_recorded", "recorded_at"),  # the latest recording: is a kept rate book current?
)

# Sequenced dead letters: a fact the projection could not apply, and every later
# fact of the same account, in order, until a retry applies them (projections/parking.py).
# One row per position (a fact is parked once); `error` on the account's first row only.
parked = Table(
    "rm_parked",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("account", String, nullable=False),  # unbounded: a fact whose id is too long still parks
    Column("version", Integer, nullable=False),  # the fact's version in its account
    Column("type", String, nullable=False),
    Column("event_id", String),
    Column("error", String),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Index("rm_parked_by_account", "account", "position"),
)

# What the projecting process tells the API, whichever process it runs in (/health, /metrics).
projector = Table(
    "rm_projector",
    metadata,
    Column("view", String(64), primary_key=True),
    Column("errors", BigInteger, nullable=False),  # failed attempts, since the read model was created
    Column("failing", Boolean, nullable=False),  # retrying a batch that failed, not yet through
    Column("last_error", String),
    Column("last_error_at", DateTime(timezone=True)),
)

# Every alert raised or cleared, in the order written (`o2c kafka-publish` follows it).
# A log, not a view: `o2c rebuild` does not empty it (the replay appends the history again).
# `txid` (PostgreSQL: the writing transaction's id) orders it without gaps a reader could
# skip: `seq` values commit out of order when two transactions write alerts at once.
alert_changes = Table(
    "rm_alert_changes",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("txid", BigInteger),  # none on SQLite (one writer: `seq` is commit order)
    Column("change", String(8), nullable=False),  # raised | cleared
    Column("account", String(ID), nullable=False),
    Column("type", String(32), nullable=False),
    Column("subject", String(SUBJECT), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),  # raised_at, or cleared_at
    Column("alert", JSON, nullable=False),  # severity, effective_date, details (a raise); {} for a clear
    Index("rm_alert_changes_order", "txid", "seq"),
)

# What `o2c kafka-publish` has had acknowledged, per topic: the ledger's position, or the
# count of alert changes with the last one's (txid, seq). Not the read model's: kept by a rebuild.
kafka_published = Table(
    "kafka_published",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("change_txid", BigInteger),
    Column("change_seq", BigInteger),
)

# Where each Kafka projection worker's partition of the ledger topic is (adapters/kafka/project.py):
# the next offset to read and the ledger position of the last fact projected from it (a fact
# published again has a position already passed), moved in the transaction of the rows.
partition_offsets = Table(
    "rm_partition_offsets",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("offset", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    # The offset up to which the risk of every account projected has been reviewed (a worker
    # catching up reviews once caught up, as the single projector does): what X-O2C-After reads.
    Column("reviewed", BigInteger, nullable=False, server_default="0"),
)

# What `o2c kafka-publish` had acknowledged at the end of each batch: per partition it wrote
# to, the offset after its last message there. A ledger position is projected by the workers
# once every partition's offset has reached the checkpoints up to the first at or after it
# (projections/partitions.py). The publisher's, not the read model's: kept by a rebuild.
kafka_checkpoints = Table(
    "kafka_checkpoints",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("end_offset", BigInteger, nullable=False),
)

VIEW_TABLES = (
    accounts,
    invoices,
    lines,
    portfolio_receivables,
    portfolio_balances,
    alerts,
    collections,
    commitments,
    timed_conditions,
    scenarios,
    budgets,
    fx_rates,
    parked,
    partition_offsets,
)
