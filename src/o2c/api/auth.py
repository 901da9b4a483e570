"""Bearer tokens with scopes. Only SHA-256 hashes of tokens are kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from fastapi import Request

from o2c.api.problems import Problem

SCOPES = ("ingest", "read", "audit", "admin")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass
class Keyring:
    """Token hash -> scopes. `admin` implies every other scope."""

    scopes_by_hash: dict[bytes, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """`token=scope+scope,token2=scope` as in O2C_API_KEYS."""
        keyring = cls()
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            token, _, scopes = entry.partition("=")
            names = frozenset(s.strip() for s in scopes.split("+") if s.strip())
            unknown = names - set(SCOPES)
            if not token.strip() or not names or unknown:
                raise ValueError(f"O2C_API_KEYS entry for a token has bad scopes: {sorted(unknown) or 'none'}")
            keyring.add(token.strip(), names)
        return keyring

    def add(self, token: str, scopes: frozenset[str]) -> None:
        self.scopes_by_hash[_digest(token)] = scopes

    def add_generated_admin(self) -> str:
        token = "o2c_" + secrets.token_urlsafe(32)
        self.add(token, frozenset({"admin"}))
        return token

    def scopes_of(self, token: str) -> frozenset[str] | None:
        digest = _digest(token)
        for known, scopes in self.scopes_by_hash.items():
            if hmac.compare_digest(known, digest):
                return scopes
        return None

    def __bool__(self) -> bool:
        return bool(self.scopes_by_hash)


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="o2c"'}


def authenticate(keyring: Keyring, authorization: str) -> frozenset[str]:
    """The scopes of the bearer token in an Authorization header; 401 without a valid one."""
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthorized", "send Authorization: Bearer <token>", headers=CHALLENGE)
    scopes = keyring.scopes_of(token.strip())
    if scopes is None:
        raise Problem(401, "unauthorized", "the bearer token is not valid", headers=CHALLENGE)
    return scopes


@dataclass(frozen=True)
class RequiredScope:
    """A FastAPI dependency: 401 without a valid token, 403 without the scope.
    (On /v1 the request guard has already answered 401 before reading the body.)
    The OpenAPI reads `scope` to state each operation's security (api/openapi.py)."""

    scope: str

    def __call__(self, request: Request) -> frozenset[str]:
        scopes = authenticate(request.app.state.keyring, request.headers.get("authorization", ""))
        if self.scope not in scopes and "admin" not in scopes:
            raise Problem(403, "forbidden", f"this token lacks the '{self.scope}' scope")
        return scopes


def require(scope: str) -> RequiredScope:
    return RequiredScope(scope)
