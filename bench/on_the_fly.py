"""The bench's baseline (bench/portfolio.py): portfolio aging computed on the fly
from the raw event log with one SQL query, as ERP reports age receivables from
ledger entries, checked against the view's totals.

Every invoice, less every settlement (allocations, credit notes, upheld
disputes, each counting from max(its date, the invoice's issue date)) dated by
as_of, bucketed by days past due on the due dates in force at as_of; beside it
the cash not yet allocated and the open disputes. Events are JSON bytes from
the orjson transcoder; decimals and dates are {"_type_", "_data_"} objects.

The due dates in force follow payment plans as src/o2c/domain/schedules.py
does: a plan holds from its agreement until the day after the first installment
whose running total had not come in cash by its date (unless its invoices were
all settled by then: kept); of the plans holding on an invoice, the one agreed
last (recorded last, on a tie) governs it. The cash applied to a plan's invoices
since its agreement pays its installments earliest first; what is open on the
invoices it governs, taken oldest due first, fills what is left of them
earliest first: as running totals, an invoice's share of an installment is the
overlap of their ranges. What no installment covers stays on its own due date."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import psycopg

from o2c.domain.money import to_cents
from o2c.domain.receivables import DEFAULT_BOUNDARIES, bucket_labels

ON_THE_FLY = """
WITH ev AS (
    SELECT originator_id AS account, originator_version AS version, split_part(topic, '.', 4) AS kind,
           convert_from(state, 'UTF8')::jsonb AS s
    FROM {events}
),
invoices AS (
    SELECT account, s->>'invoice_id' AS invoice_id, (s->'amount'->>'_data_')::numeric AS amount,
           (s->'issue_date'->>'_data_')::date AS issue_date, (s->'due_date'->>'_data_')::date AS due_date
    FROM ev WHERE kind = 'InvoiceIssued'
),
payments AS (
    SELECT account, (s->'amount'->>'_data_')::numeric AS amount, (s->'received_date'->>'_data_')::date AS received
    FROM ev WHERE kind = 'PaymentReceived'
),
allocations AS (
    SELECT account, a->'_data_'->>0 AS invoice_id, (a->'_data_'->>1)::numeric AS amount,
           (coalesce(s->'received_date', s->'allocation_date')->>'_data_')::date AS on_date
    FROM ev CROSS JOIN LATERAL jsonb_array_elements(s->'allocations') AS a
    WHERE kind IN ('PaymentReceived', 'PaymentAllocated')
),
disputes AS (
    SELECT account, s->>'dispute_id' AS dispute_id, s->>'invoice_id' AS invoice_id,
           (s->'amount'->>'_data_')::numeric AS amount, (s->'opened_date'->>'_data_')::date AS opened
    FROM ev WHERE kind = 'DisputeOpened'
),
resolutions AS (
    SELECT account, s->>'dispute_id' AS dispute_id, (s->'resolved_date'->>'_data_')::date AS resolved,
           (s->'credited_amount'->>'_data_')::numeric AS credited
    FROM ev WHERE kind = 'DisputeResolved'
),
settlements AS (  -- each from the day it counts; cash (a payment's) apart from credits
    SELECT st.account, st.invoice_id, st.amount, st.cash, greatest(st.on_date, i.issue_date) AS effective
    FROM (
        SELECT account, invoice_id, amount, on_date, true AS cash FROM allocations
        UNION ALL
        SELECT account, s->>'invoice_id', (s->'amount'->>'_data_')::numeric, (s->'issue_date'->>'_data_')::date, false
        FROM ev WHERE kind = 'CreditNoteIssued'
        UNION ALL
        SELECT d.account, d.invoice_id, r.credited, r.resolved, false
        FROM resolutions r JOIN disputes d USING (account, dispute_id) WHERE r.credited > 0
    ) st JOIN invoices i USING (account, invoice_id)
),
open_items AS (
    SELECT i.account, i.invoice_id, i.due_date,
           i.amount - coalesce(sum(st.amount) FILTER (WHERE st.effective <= %(as_of)s), 0) AS open
    FROM invoices i LEFT JOIN settlements st USING (account, invoice_id)
    WHERE i.issue_date <= %(as_of)s
    GROUP BY i.account, i.invoice_id, i.due_date, i.amount
),
plans AS (
    SELECT account, s->>'plan_id' AS plan_id, version, (s->'agreed_date'->>'_data_')::date AS agreed, s
    FROM ev WHERE kind = 'PaymentPlanAgreed'
),
named AS (
    SELECT p.account, p.plan_id, n.invoice_id
    FROM plans p CROSS JOIN LATERAL jsonb_array_elements_text(p.s->'invoice_ids') AS n(invoice_id)
),
installments AS (
    SELECT p.account, p.plan_id, p.agreed, k.n, (k.i->0->>'_data_')::date AS due_date,
           (k.i->1->>'_data_')::numeric AS amount,
           sum((k.i->1->>'_data_')::numeric) OVER (PARTITION BY p.account, p.plan_id ORDER BY k.n) AS running
    FROM plans p CROSS JOIN LATERAL jsonb_array_elements(p.s->'installments') WITH ORDINALITY AS k(i, n)
),
by_installment_invoice AS (  -- on each installment's date, each named invoice: settled? cash since the agreement
    SELECT k.account, k.plan_id, k.n, k.due_date, k.running,
           i.issue_date > k.due_date
             OR i.amount = coalesce(sum(st.amount) FILTER (WHERE st.effective <= k.due_date), 0) AS settled,
           coalesce(sum(st.amount) FILTER (WHERE st.cash AND st.effective BETWEEN k.agreed AND k.due_date), 0) AS cash
    FROM installments k JOIN named USING (account, plan_id) JOIN invoices i USING (account, invoice_id)
    LEFT JOIN settlements st USING (account, invoice_id)
    GROUP BY k.account, k.plan_id, k.n, k.due_date, k.running, i.invoice_id, i.issue_date, i.amount
),
decided AS (  -- the first installment its invoices were settled by (kept), or short of cash by (broken)
    SELECT DISTINCT ON (account, plan_id) account, plan_id, CASE WHEN NOT settled THEN due_date + 1 END AS broken_on
    FROM (
        SELECT account, plan_id, n, due_date, running, bool_and(settled) AS settled, sum(cash) AS cash
        FROM by_installment_invoice GROUP BY account, plan_id, n, due_date, running
    ) k
    WHERE settled OR cash < running
    ORDER BY account, plan_id, n
),
governed AS (  -- each open invoice under a plan holding at as_of: the one agreed last
    SELECT DISTINCT ON (o.account, o.invoice_id) o.account, o.invoice_id, o.due_date, o.open, p.plan_id
    FROM open_items o JOIN named USING (account, invoice_id) JOIN plans p USING (account, plan_id)
    LEFT JOIN decided d USING (account, plan_id)
    WHERE o.open > 0 AND p.agreed <= %(as_of)s AND (d.broken_on IS NULL OR %(as_of)s < d.broken_on)
    ORDER BY o.account, o.invoice_id, p.agreed DESC, p.version DESC
),
plan_cash AS (  -- cash applied to each plan's invoices from its agreement to as_of
    SELECT p.account, p.plan_id, coalesce(sum(st.amount), 0) AS cash
    FROM plans p JOIN named n USING (account, plan_id)
    LEFT JOIN settlements st ON st.account = n.account AND st.invoice_id = n.invoice_id AND st.cash
                                AND st.effective BETWEEN p.agreed AND %(as_of)s
    GROUP BY p.account, p.plan_id
),
spread_invoices AS (  -- what is open, as running totals over the invoices a plan governs, oldest due first
    SELECT account, plan_id, due_date, open,
           sum(open) OVER (PARTITION BY account, plan_id ORDER BY due_date, invoice_id) AS upto
    FROM governed
),
spread_installments AS (  -- what the cash left unpaid of each installment (it pays the earliest first)
    SELECT account, plan_id, due_date, unpaid, sum(unpaid) OVER (PARTITION BY account, plan_id ORDER BY n) AS upto,
           sum(unpaid) OVER (PARTITION BY account, plan_id) AS covered
    FROM (
        SELECT k.account, k.plan_id, k.n, k.due_date, least(k.amount, greatest(0, k.running - c.cash)) AS unpaid
        FROM installments k JOIN plan_cash c USING (account, plan_id)
        WHERE (k.account, k.plan_id) IN (SELECT account, plan_id FROM governed)
    ) k
),
due_items AS (  -- (due date in force, amount) of everything open at as_of
    SELECT o.due_date, o.open FROM open_items o
    WHERE NOT EXISTS (SELECT 1 FROM governed g WHERE g.account = o.account AND g.invoice_id = o.invoice_id)
    UNION ALL
    SELECT k.due_date, greatest(0, least(i.upto, k.upto) - greatest(i.upto - i.open, k.upto - k.unpaid))
    FROM spread_invoices i JOIN spread_installments k USING (account, plan_id)
    UNION ALL
    SELECT i.due_date, greatest(0, i.upto - greatest(i.upto - i.open, k.covered))
    FROM spread_invoices i JOIN (SELECT DISTINCT account, plan_id, covered FROM spread_installments) k
         USING (account, plan_id)
)
SELECT
    {buckets},
    (SELECT coalesce(sum(open), 0) FROM open_items),
    (SELECT coalesce(sum(amount), 0) FROM payments WHERE received <= %(as_of)s)
      - (SELECT coalesce(sum(amount), 0) FROM settlements WHERE cash AND effective <= %(as_of)s),
    (SELECT coalesce(sum(d.amount), 0) FROM disputes d LEFT JOIN resolutions r USING (account, dispute_id)
     WHERE d.opened <= %(as_of)s AND (r.resolved IS NULL OR r.resolved > %(as_of)s))
"""


def on_the_fly_sql(events_table: str, boundaries: Sequence[int]) -> str:
    days = "(%(as_of)s - due_date)"
    conditions = [f"{days} <= 0"]
    low = 1
    for high in boundaries:
        conditions.append(f"{days} BETWEEN {low} AND {high}")
        low = high + 1
    conditions.append(f"{days} > {boundaries[-1]}")
    buckets = ",\n    ".join(
        f"(SELECT coalesce(sum(open), 0) FROM due_items WHERE {condition})" for condition in conditions
    )
    return ON_THE_FLY.format(events=events_table, buckets=buckets)


def on_the_fly_totals(database_url: str, events_table: str, as_of: date) -> tuple[dict[str, str], float]:
    labels = [*bucket_labels(DEFAULT_BOUNDARIES), "total", "unapplied_cash", "disputed"]
    with psycopg.connect(database_url) as conn:
        started = time.perf_counter()
        row = conn.execute(on_the_fly_sql(events_table, DEFAULT_BOUNDARIES), {"as_of": as_of}).fetchone()
        elapsed = time.perf_counter() - started
    assert row is not None
    return {label: str(to_cents(Decimal(value))) for label, value in zip(labels, row, strict=True)}, elapsed
