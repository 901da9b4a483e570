"""Read-your-writes: `X-O2C-After: <position>` makes a view wait (bounded)
until the read model has projected that position; 504 if it does not."""

from __future__ import annotations

import asyncio
import time

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from o2c.api.problems import Problem, field_error
from o2c.projections.queries import projected_position


async def wait_for_position(request: Request) -> None:
    header = request.headers.get("x-o2c-after")
    if header is None:
        return
    if not header.strip().isdigit():
        raise Problem(
            422,
            "validation",
            "X-O2C-After must be a position returned by POST /v1/events",
            [field_error("X-O2C-After", "must be a whole number")],
        )
    wanted = int(header)
    engine: AsyncEngine = request.app.state.views
    deadline = time.monotonic() + request.app.state.settings.read_your_writes_timeout_s
    pause = 0.002
    while True:
        async with engine.connect() as conn:
            reached = await projected_position(conn)
        if reached >= wanted:
            return
        if time.monotonic() >= deadline:
            raise Problem(
                504, "not-yet-projected", f"the read model reached position {reached}, not yet {wanted}; try again"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
