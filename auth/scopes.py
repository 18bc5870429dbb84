"""Roles and the scopes each may hold (API.md, "Who is calling")."""

from __future__ import annotations

ROLES = ("partner", "admin", "auditor")

SCOPES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "partner": (
        "signals:read",
        "signals:write",
        "consents:read",
        "consents:write",
        "subscriptions",
    ),
    "admin": ("admin",),
    "auditor": ("audit:read",),
}


class ScopeError(ValueError):
    pass


def grant(role: str, requested: str | None) -> tuple[str, ...]:
    """The scopes to put in a token: all of the role's by default, else the requested subset."""
    allowed = SCOPES_BY_ROLE[role]
    if requested is None or not requested.strip():
        return allowed
    wanted = requested.split()
    unknown = [scope for scope in wanted if scope not in allowed]
    if unknown:
        raise ScopeError("a requested scope is not available to this client's role")
    return tuple(scope for scope in allowed if scope in wanted)
