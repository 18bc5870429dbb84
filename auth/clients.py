"""Client authentication at the OAuth endpoints: client_secret_basic and private_key_jwt."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auth import jwt
from auth.actors import Actor, ActorRefused, verify_actor
from auth.secrets import SecretHasher
from core.errors import DomainError
from records.models import Client, Partner, UsedAssertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LEEWAY_SECONDS = 30


class OAuthError(DomainError):
    """An RFC 6749 §5.2 error; `description` never holds personal data or secrets. A domain
    error like any other (its `code` is the RFC's error word), answered in the RFC's form."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description, code=error, headers=headers)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Authenticated:
    client: Client
    partner: Partner
    assertion_jti: str | None = None
    assertion_expires: datetime | None = None


@dataclass(frozen=True)
class Presented:
    """What a token request presents, looked up (and, for an assertion, verified): a secret
    still has to be checked, slowly, outside any transaction."""

    client: Client | None
    partner: Partner | None
    secret: str | None = None  # client_secret_basic: still to be checked
    stored_hash: str | None = None
    assertion_jti: str | None = None
    assertion_expires: datetime | None = None

    def authenticated(self) -> Authenticated:
        if self.client is None or self.partner is None:
            raise OAuthError("invalid_client", "client authentication failed", status=401)
        return Authenticated(self.client, self.partner, self.assertion_jti, self.assertion_expires)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """client_id and secret from an HTTP Basic header (RFC 6749 §2.3.1 form-encodes both)."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        raw_id, raw_secret = decoded.split(":", 1)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401) from None
    return unquote_plus(raw_id), unquote_plus(raw_secret)


class ClientAuthenticator:
    """Client authentication in two steps: `present` inside a unit of work (looks the client
    up and verifies an assertion: cheap), then `check_secret` outside it (argon2: slow on
    purpose, so never while holding a connection)."""

    def __init__(
        self,
        hasher: SecretHasher,
        *,
        issuer: str,
        token_endpoint: str,
        max_assertion_lifetime: timedelta,
    ) -> None:
        self._hasher = hasher
        self._issuer = issuer
        self._token_endpoint = token_endpoint
        # How far ahead an assertion's exp may lie; its jti is remembered until exp, so this
        # also bounds how long used assertions are kept.
        self._max_lifetime = max_assertion_lifetime
        self._key_cache: dict[tuple[str, str], dict[str, jwt.Key]] = {}

    def present(
        self,
        session: Session,
        *,
        authorization: str | None,
        form: Mapping[str, str],
        endpoint: str,
        now: datetime,
    ) -> Presented:
        basic = basic_credentials(authorization)
        assertion = form.get("client_assertion")
        if basic and assertion:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        if basic:
            return self._secret(session, *basic, form_client_id=form.get("client_id"))
        if assertion:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise OAuthError("invalid_request", "client_assertion_type must be jwt-bearer")
            return self._assertion(session, assertion, form.get("client_id"), endpoint, now)
        raise OAuthError("invalid_client", "client authentication is required", status=401)

    def check_secret(self, presented: Presented) -> None:
        """Raises unless the presented secret is the client's. Always runs the slow hash, also
        for unknown clients, so timing tells an unknown client from a wrong secret apart."""
        if presented.secret is None:
            return
        ok = self._hasher.verify(presented.stored_hash, presented.secret)
        if not ok or presented.client is None:
            raise OAuthError("invalid_client", "client authentication failed", status=401)

    def _secret(
        self, session: Session, client_id: str, secret: str, *, form_client_id: str | None
    ) -> Presented:
        if form_client_id is not None and form_client_id != client_id:
            raise OAuthError("invalid_request", "client_id does not match the credentials")
        client = session.get(Client, client_id) if len(client_id) <= 64 else None
        usable = (
            client is not None
            and client.auth_method == "client_secret_basic"
            and client.status == "active"
        )
        if not usable or client is None:
            return Presented(None, None, secret=secret)
        return Presented(
            client, _partner(session, client), secret=secret, stored_hash=client.secret_hash
        )

    def _assertion(
        self,
        session: Session,
        assertion: str,
        form_client_id: str | None,
        endpoint: str,
        now: datetime,
    ) -> Presented:
        failed = OAuthError("invalid_client", "client authentication failed", status=401)
        try:
            header = jwt.unverified_header(assertion)
            issuer = jwt.unsafe_peek(assertion).get("iss")
        except jwt.TokenError:
            raise failed from None
        if not isinstance(issuer, str) or len(issuer) > 64:
            raise failed
        if form_client_id is not None and not hmac.compare_digest(form_client_id, issuer):
            raise OAuthError("invalid_request", "client_id does not match the assertion")
        client = session.get(Client, issuer)
        if client is None or client.status != "active" or client.auth_method != "private_key_jwt":
            raise failed
        try:
            claims = jwt.verify(
                assertion,
                self._keys(client),
                typ=(None, "JWT", "client-authentication+jwt"),
                audience={self._token_endpoint, self._issuer, endpoint},
                issuer=client.id,
                leeway=LEEWAY_SECONDS,
                required=("sub", "jti", "exp"),
                now=now.timestamp(),
                header=header,
            )
        except jwt.TokenError as error:
            raise OAuthError(
                "invalid_client", f"client assertion refused: {error.reason}", status=401
            ) from None
        if claims["sub"] != client.id:
            raise OAuthError("invalid_client", "client assertion refused: sub", status=401)
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
        if expires > now + self._max_lifetime + timedelta(seconds=LEEWAY_SECONDS):
            raise OAuthError(
                "invalid_client", "client assertion refused: exp too far ahead", status=401
            )
        jti = str(claims["jti"])
        if len(jti) > 255:
            raise OAuthError("invalid_client", "client assertion refused: jti", status=401)
        return Presented(
            client, _partner(session, client), assertion_jti=jti, assertion_expires=expires
        )

    def actor(self, client: Client, token: str, now: datetime) -> Actor:
        """The professional `client` acts for, from an actor token signed with its own key."""
        if client.auth_method != "private_key_jwt" or not client.jwks:
            raise OAuthError(
                "invalid_grant",
                "an actor token is signed with the client's registered key; this client has none",
            )
        try:
            return verify_actor(
                token,
                client_id=client.id,
                keys=self._keys(client),
                audiences={self._token_endpoint, self._issuer},
                max_lifetime=self._max_lifetime,
                now=now,
            )
        except ActorRefused as error:
            # RFC 8693 §2.2.2 answers a bad actor token with invalid_request; the grant it
            # would have widened is what is refused, so invalid_grant says more.
            raise OAuthError("invalid_grant", f"actor token refused: {error.reason}") from None

    def _keys(self, client: Client) -> dict[str, jwt.Key]:
        jwks = client.jwks or {"keys": []}
        fingerprint = repr(jwks)
        cached = self._key_cache.get((client.id, fingerprint))
        if cached is None:
            # A key registered without kid is stored under "" (only allowed when it is alone).
            cached = {str(key.get("kid", "")): jwt.public_key(key) for key in jwks["keys"]}
            if len(self._key_cache) > 1000:
                self._key_cache.clear()
            self._key_cache[(client.id, fingerprint)] = cached
        return cached


def remember_assertion(session: Session, client_id: str, jti: str, expires: datetime) -> None:
    """Record an assertion's jti; a second use, here or in another process, is refused."""
    try:
        with session.begin_nested():
            session.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=expires))
    except IntegrityError:
        raise OAuthError(
            "invalid_client", "client assertion refused: already used", status=401
        ) from None


def remember_actor(session: Session, client_id: str, actor: Actor) -> None:
    """Record an actor token's jti in the same store (under its own prefix, so it never meets
    a client assertion's); a second use is refused."""
    try:
        with session.begin_nested():
            session.add(
                UsedAssertion(client_id=client_id, jti=f"act:{actor.jti}", expires_at=actor.expires)
            )
    except IntegrityError:
        raise OAuthError("invalid_grant", "actor token refused: already used") from None


def assertion_used(session: Session, client_id: str, jti: str) -> bool:
    return (
        session.exec(
            select(UsedAssertion.jti).where(
                UsedAssertion.client_id == client_id, UsedAssertion.jti == jti
            )
        ).first()
        is not None
    )


def _partner(session: Session, client: Client) -> Partner:
    partner = session.get(Partner, client.partner_id)
    assert partner is not None  # foreign key
    return partner
