"""The read model's tracking position: where it is in the ledger's log, moved in the
same transaction as the rows a batch writes, and only from the value read at the
start (`WHERE position = :read`): a crash, a rerun or a second projector can neither
skip nor double-count an event. The retry count of parked facts (parking.RETRIES) is
read with it and checked with it, so that a batch never steps over a retry."""

from __future__ import annotations

from sqlalchemy import Connection, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from o2c.projections import schema
from o2c.projections.parking import RETRIES

VIEW = "read_model"
T = schema.tracking.c


class TrackingConflict(Exception):
    """Another projector moved the tracking position: this batch is void."""


def read_position(conn: Connection) -> tuple[int, int | None]:
    """The position, and the retry count read with it (None: nothing was ever parked)."""
    found = {r.view: r.position for r in conn.execute(select(T.view, T.position).where(T.view.in_((VIEW, RETRIES))))}
    return int(found.get(VIEW) or 0), found.get(RETRIES)


def advance(conn: Connection, read: int, new: int, retries: int | None = None) -> None:
    """From `read` to `new`, or TrackingConflict if it moved meanwhile (or a retry ran)."""
    if read == 0 and conn.execute(select(T.view).where(T.view == VIEW)).first() is None:
        try:
            conn.execute(insert(schema.tracking).values(view=VIEW, position=new))
        except IntegrityError as e:  # another projector's first batch won: no fact's fault
            raise TrackingConflict(f"{VIEW} was started by another projector") from e
        return
    if retries is None:  # nothing was ever parked: the statement as before
        moved = conn.execute(update(schema.tracking).where(T.view == VIEW, T.position == read).values(position=new))
        if moved.rowcount != 1:
            raise TrackingConflict(f"{VIEW} moved from {read} while this batch was projected")
        return
    # The position moves only if no retry ran meanwhile (both rows as read; one statement).
    moved = conn.execute(
        update(schema.tracking)
        .where(((T.view == VIEW) & (T.position == read)) | ((T.view == RETRIES) & (T.position == retries)))
        .values(position=case((T.view == VIEW, new), else_=T.position))
    )
    if moved.rowcount != 2:
        raise TrackingConflict(f"{VIEW} moved from {read}, or a retry ran, while this batch was projected")
