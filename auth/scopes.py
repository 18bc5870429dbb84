"""Roles and the scopes each may hold (API.md, "Who is calling")."""

from __future__ import annotations

from typing import Literal, cast, get_args

ClientRole = Literal["partner", "admin", "auditor", "policymaker"]

SCOPES_BY_ROLE: dict[ClientRole, tuple[str, ...]] = {
    "partner": (
        "signals:read",
        "signals:write",
        "consents:read",
        "consents:write",
        "subscriptions",
        "subjects:access",
    ),
    "admin": ("admin",),
    "auditor": ("audit:read", "statistics:read"),
    # Figures only: counts per period and group, never a signal, a child or an audit event.
    "policymaker": ("statistics:read",),
}

ACCEPT_AGREEMENTS = "agreements:accept"
ON_REQUEST_BY_ROLE: dict[ClientRole, tuple[str, ...]] = {
    "partner": (ACCEPT_AGREEMENTS,),
    "admin": (),
    "auditor": (),
    "policymaker": (),
}
"""Scopes a role holds only when it asks for them by name (never in the default set): a token
that accepts agreements on the partner's behalf is asked for on purpose."""

PURPOSELESS_SCOPES = frozenset({ACCEPT_AGREEMENTS})
"""A partner token holding only these needs no purpose: before a partner's first agreement is
active it has none to name."""


class ScopeError(ValueError):
    pass


def client_role(value: str) -> ClientRole:
    """A stored or signed role word as the type says it is (anything else is refused)."""
    for role in get_args(ClientRole):
        if value == role:
            return cast(ClientRole, role)
    raise ScopeError("unknown client role")


def grant(role: ClientRole, requested: str | None) -> tuple[str, ...]:
    """The scopes to put in a token: all of the role's by default, else the requested subset."""
    if requested is None or not requested.strip():
        return SCOPES_BY_ROLE[role]
    allowed = SCOPES_BY_ROLE[role] + ON_REQUEST_BY_ROLE[role]
    wanted = requested.split()
    unknown = [scope for scope in wanted if scope not in allowed]
    if unknown:
        raise ScopeError("a requested scope is not available to this client's role")
    return tuple(scope for scope in allowed if scope in wanted)
