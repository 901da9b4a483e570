"""The alerts the projection raised (over limit, overdue, promise broken …):
open, cleared or all, by account and type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from sqlalchemy import select

from o2c.api.params import ASCII_DIGITS
from o2c.api.read_views import views_router
from o2c.api.render import decode_cursor, encode_cursor
from o2c.projections import schema

router = views_router()


@router.get("/v1/alerts")
async def list_alerts(
    request: Request,
    status: Literal["open", "cleared", "all"] = "open",
    account: str | None = None,
    type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    a = schema.alerts.c
    query = select(schema.alerts).order_by(a.id).limit(limit + 1)
    if status == "open":
        query = query.where(a.cleared_at.is_(None))
    elif status == "cleared":
        query = query.where(a.cleared_at.is_not(None))
    if account is not None:
        query = query.where(a.account == account)
    if type is not None:
        query = query.where(a.type == type)
    after = decode_cursor(cursor)
    if after:
        query = query.where(a.id > after)
    async with request.app.state.views.connect() as conn:
        rows = (await conn.execute(query)).all()
    page = rows[:limit]
    return {
        "alerts": [
            {
                "id": r.id,
                "account": r.account,
                "type": r.type,
                "subject": r.subject,
                "severity": r.severity,
                "raised_at": _moment(r.raised_at),
                "cleared_at": _moment(r.cleared_at),
                "details": r.details,
            }
            for r in page
        ],
        "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
