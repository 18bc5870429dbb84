"""Access tokens (RFC 9068 profile): issuing, verifying, revoking, introspecting."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from auth import jwt
from auth.actors import is_professional_id
from auth.caller import Caller
from auth.clients import OAuthError
from auth.keys import SigningKeys
from auth.scopes import PURPOSELESS_SCOPES, ScopeError, client_role, grant
from core.errors import Forbidden, Unauthorized
from records.hotpath import Raw, caller_row
from records.models import Client, Partner, RevokedToken

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105  (a media type)
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "jti",
    "client_id",
    "partner",
    "role",
    "scope",
)
JTI_BYTES = 18  # 144 bits


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int
    scope: str
    purpose: str | None
    jti: str


def issue(
    client: Client,
    partner: Partner,
    *,
    scope: str | None,
    purpose: str | None,
    allowed_purposes: Callable[[], Collection[str]],
    keys: SigningKeys,
    issuer: str,
    audience: str,
    ttl: int,
    now: datetime,
    actor: str | None = None,
) -> Grant:
    """Mint an access token for an authenticated client; raises OAuthError when refused.
    With `actor` (a verified professional's id) it carries `act: {sub}` (RFC 8693 §4.1)."""
    if partner.status != "active":
        raise OAuthError("unauthorized_client", "the client's partner is suspended")
    try:
        scopes = grant(client_role(client.role), scope)
    except ScopeError as error:
        raise OAuthError("invalid_scope", str(error)) from None
    if client.role == "partner":
        if not purpose and not PURPOSELESS_SCOPES.issuperset(scopes):
            raise OAuthError("invalid_request", "purpose is required for partner clients")
        if purpose and purpose not in allowed_purposes():
            raise OAuthError(
                "invalid_scope",
                "purpose is not a purpose of an active agreement this partner is party to",
            )
    elif purpose:
        raise OAuthError("invalid_request", "purpose is only for partner clients")
    keyset = keys.current()
    issued_at = int(now.timestamp())
    jti = secrets.token_urlsafe(JTI_BYTES)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": client.id,
        "aud": audience,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + ttl,
        "jti": jti,
        "client_id": client.id,
        "partner": partner.id,
        "role": client.role,
        "scope": " ".join(scopes),
    }
    if purpose:
        claims["purpose"] = purpose
    if actor is not None:
        claims["act"] = {"sub": actor}
    token = jwt.sign(claims, keyset.signer, kid=keyset.signer_kid, typ=ACCESS_TOKEN_TYPE)
    return Grant(token, ttl, claims["scope"], purpose, jti)


class TokenVerifier:
    """Signature and claim checks, cached per token; revocation is checked per request."""

    MAX_CACHED = 20_000

    def __init__(self, keys: SigningKeys, *, issuer: str, audience: str) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = {audience}
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def knows(self, token: str) -> bool:
        """Whether `token` was verified before (so verifying it again does no I/O)."""
        return token in self._cache

    def verify(self, token: str, now: datetime) -> dict[str, Any]:
        claims = self._cache.get(token)
        if claims is None:
            claims = self._verify(token, now.timestamp())
            with self._lock:
                self._cache[token] = claims
                if len(self._cache) > self.MAX_CACHED:
                    self._cache.popitem(last=False)
        # Expiry is time-dependent, so it is checked on every use, cached or not.
        if int(claims["exp"]) + LEEWAY_SECONDS < now.timestamp():
            raise jwt.TokenError("expired")
        return claims

    def _verify(self, token: str, now: float) -> dict[str, Any]:
        header = jwt.unverified_header(token)
        kid = header.get("kid")
        claims = jwt.verify(
            token,
            self._keys.verifiers(kid if isinstance(kid, str) else None),
            typ=(ACCESS_TOKEN_TYPE, "application/at+jwt"),
            audience=self._audience,
            issuer=self._issuer,
            leeway=LEEWAY_SECONDS,
            required=REQUIRED_CLAIMS,
            now=now,
            header=header,
        )
        if claims["sub"] != claims["client_id"] or not isinstance(claims["scope"], str):
            raise jwt.TokenError("invalid_claims")
        if "act" in claims and professional_of(claims) is None:
            raise jwt.TokenError("invalid_claims")
        return claims


def professional_of(claims: dict[str, Any]) -> str | None:
    """The professional a token's `act` claim names, if it names one well-formed."""
    act = claims.get("act")
    if isinstance(act, dict) and set(act) == {"sub"} and is_professional_id(act["sub"]):
        return str(act["sub"])
    return None


def caller_from(raw: Raw, claims: dict[str, Any]) -> Caller:
    """The caller behind verified claims, if its token, client and partner are all still good.
    One statement on the unit's DBAPI connection: the client, its partner, whether this
    token was revoked, and the policy epoch, which tells the policy cache whether it is still
    current without another read."""
    row = caller_row(raw, claims["client_id"], claims["jti"])
    if row is None or row.status != "active":
        raise Unauthorized("the token's client has been revoked", code="invalid_token")
    if row.revoked is not None:
        raise Unauthorized("the token has been revoked", code="invalid_token")
    if row.partner_id != claims["partner"] or row.role != claims["role"]:
        raise Unauthorized("the token does not match its client", code="invalid_token")
    if row.partner_status != "active":
        raise Forbidden(
            "the caller's partner is suspended",
            code="partner_suspended",
            reasons=["partner_suspended"],
        )
    return Caller(
        client_id=claims["client_id"],
        partner=claims["partner"],
        partner_kind=row.kind,
        role=client_role(row.role),
        scopes=frozenset(claims["scope"].split()),
        purpose=claims.get("purpose"),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        jti=claims["jti"],
        policy_epoch=int(row.policy_epoch or 0),
        professional=professional_of(claims),
    )


def revoke(session: Session, claims: dict[str, Any]) -> None:
    if session.get(RevokedToken, claims["jti"]) is None:
        session.add(
            RevokedToken(
                jti=claims["jti"],
                client_id=claims["client_id"],
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
                + timedelta(seconds=LEEWAY_SECONDS),
            )
        )
        session.flush()
