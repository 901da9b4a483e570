"""Read-your-writes for the risk review: how far in the log the reviews have
reached. A view waiting for a position (`X-O2C-After`) waits for this one too
(api/freshness.py), so the `risk` block and the class downgrades of the accounts
a batch touched are part of what that batch made: a position reached is a risk
reviewed.

The projector queues the accounts each committed batch touched with the span
(from, to] of the log the batch covered; once no touched account is left to
review, the review moves REVIEWED_POSITION over its spans in the transaction of
its last rows. The catch-up's batches only queue (each account is reviewed once,
when caught up: the catch-up's speed is kept); at start, the accounts projected
past REVIEWED_POSITION are queued again (a projector stopped before reviewing).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, update

from o2c.projections import schema
from o2c.projections.bulk import upsert_rows

# A row of rm_tracking: every account a fact up to this position touched has been reviewed since.
REVIEWED_POSITION = "risk_reviewed"
T = schema.tracking.c


class ReviewedSpans:
    """The spans of the log whose touched accounts wait for their review, in order."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def add(self, span: tuple[int, int]) -> None:
        if self.spans and self.spans[-1][1] == span[0]:
            span = (self.spans.pop()[0], span[1])
        self.spans.append(span)

    def resume(self, conn: Connection, position: int) -> Iterable[str]:
        """At start: the accounts projected past the reviewed position, up to the read
        model's `position` (their span is added)."""
        upsert_rows(conn, schema.tracking, [{"view": REVIEWED_POSITION, "position": 0}], ["view"],
                    lambda _: {"position": T.position})  # fmt: skip
        reviewed = conn.execute(select(T.position).where(T.view == REVIEWED_POSITION)).scalar_one()
        if reviewed >= position:
            return []
        self.add((reviewed, position))
        a = schema.accounts.c
        return list(conn.execute(select(a.account).where(a.position > reviewed)).scalars())

    def advance(self, conn: Connection) -> list[tuple[int, int]]:
        """Moves the reviewed position over the spans, as far as they join it (a span
        that another projector's batch separates from it waits for that one's review);
        returns the spans left, to keep once the transaction commits."""
        reviewed = conn.execute(select(T.position).where(T.view == REVIEWED_POSITION)).scalar() or 0
        spans = self.spans
        while spans and spans[0][0] <= reviewed:
            reviewed, spans = max(reviewed, spans[0][1]), spans[1:]
        moved = update(schema.tracking).where(T.view == REVIEWED_POSITION, T.position < reviewed)
        conn.execute(moved.values(position=reviewed))
        return spans
