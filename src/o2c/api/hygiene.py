"""Control characters in a path or a query string are refused (422 naming the
parameter) before any route sees them: NUL cannot reach PostgreSQL's text
columns (asyncpg and psycopg fail on it), and no id the ledger accepts holds
one, so such a request can only be a mistake or a probe."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from o2c.api.problems import Problem, field_error, problem_response
from o2c.domain.errors import Invalid
from o2c.domain.limits import check_text

# Long enough for any query value the routes take (a list of aging buckets…): the
# length a route accepts is the route's to say.
_ANY_LENGTH = 1 << 20


def _unprintable(field: str, text: str) -> Problem | None:
    try:
        check_text(field, text, max_length=_ANY_LENGTH, keep=frozenset())
    except Invalid as e:
        return Problem(422, "validation", f"{e.field} {e.reason}", [field_error(e.field, e.reason)])
    return None


def fault_in(scope: Scope) -> Problem | None:
    """The first path segment or query parameter holding a control character."""
    problem = _unprintable("path", scope.get("path", ""))
    if problem is not None:
        return problem
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        shown = name if name.isprintable() else name.encode("unicode_escape").decode("ascii")
        problem = _unprintable(shown, name) or _unprintable(shown, value)
        if problem is not None:
            return problem
    return None


class RefuseControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = fault_in(scope)
            if problem is not None:
                await problem_response(problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)
