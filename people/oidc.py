"""OpenID Connect sign-in (authorization code flow with PKCE) against the municipality's
identity provider.

Authlib's OAuth 2 client builds the authorization request (S256 code challenge) and redeems the
code; joserfc (Authlib's JOSE library) checks the ID token's signature against the provider's
JWKS, and Authlib's `CodeIDToken` its claims, with our own clock: issuer, audience, expiry,
issued-at, nonce, azp and at_hash. Only asymmetric algorithms from an explicit allow-list are
accepted (RFC 8725), whatever the provider advertises.

The flow's secrets (state, nonce, code verifier, where to go afterwards) travel in a cookie
sealed with AES-GCM under a key derived from the master keyring: nothing is stored for a
browser that merely starts a sign-in, so starting many costs the service nothing.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from records.keyring import SealError, open_with, seal_with
from wijkdeel.settings import Settings

ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
FLOW_MAX_AGE = timedelta(minutes=10)
METADATA_TTL = 3600.0
JWKS_MIN_REFRESH = 60.0
CLOCK_LEEWAY = 60
HTTP_TIMEOUT = 10.0


class OidcError(Exception):
    """A sign-in by the identity provider failed; `reason` is a short code fit for the audit
    log, never the provider's own text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    verifier: str
    next: str
    started: float


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str


def seal_flow(key: bytes, flow: Flow) -> str:
    blob = seal_with(key, json.dumps(asdict(flow)).encode(), b"oidc-flow")
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def open_flow(key: bytes, value: str | None, now: datetime) -> Flow | None:
    """The flow sealed in the cookie, if it opens and is fresh."""
    if not value or len(value) > 1024:
        return None
    try:
        blob = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(open_with(key, blob, b"oidc-flow"))
        flow = Flow(**data)
    except (SealError, ValueError, TypeError):
        return None
    age = now.timestamp() - flow.started
    if not -1 <= age <= FLOW_MAX_AGE.total_seconds():
        return None
    return flow


def validate_id_token(
    id_token: str,
    *,
    keys: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    algorithms: tuple[str, ...],
    now: datetime,
) -> dict[str, Any]:
    """The ID token's claims when signature and claims hold; else OidcError."""
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=list(algorithms))
    except JoseError:
        raise OidcError("bad_id_token_signature") from None
    except (ValueError, TypeError, KeyError):
        raise OidcError("malformed_id_token") from None
    if token.header.get("typ") not in (None, "JWT"):
        raise OidcError("bad_id_token_type")
    params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
    if access_token:
        params["access_token"] = access_token
    claims = CodeIDToken(
        token.claims,
        token.header,
        {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True},
        },
        params,
    )
    try:
        claims.validate(now=int(now.timestamp()), leeway=CLOCK_LEEWAY)
    except JoseError as error:
        raise OidcError(f"id_token_{getattr(error, 'error', 'invalid')}"[:64]) from None
    if token.claims.get("nonce") != nonce:
        raise OidcError("id_token_invalid_claim")
    subject = token.claims.get("sub")
    if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
        raise OidcError("id_token_invalid_claim")
    return dict(token.claims)


class RelyingParty:
    """wijkdeel as an OpenID Connect client of one provider; caches the provider's metadata
    and keys. Blocking: call it from a worker thread."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.redirect_uri = settings.effective_oidc_redirect_uri
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._keys: dict[str, Any] | None = None
        self._keys_at = 0.0

    def _get(self, url: str) -> Any:
        try:
            response = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError):
            raise OidcError("provider_unreachable") from None

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata_at < METADATA_TTL:
                return self._metadata
        document = self._get(f"{self.issuer}/.well-known/openid-configuration")
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            # OpenID Connect Discovery §4.3: the issuer must be exactly the one configured.
            raise OidcError("provider_issuer_mismatch")
        try:
            offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
            metadata = ProviderMetadata(
                issuer=document["issuer"],
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                algorithms=tuple(a for a in ALLOWED_ALGORITHMS if a in offered),
            )
        except (KeyError, TypeError):
            raise OidcError("provider_metadata_incomplete") from None
        if not metadata.algorithms:
            raise OidcError("provider_algorithms_unsupported")
        with self._lock:
            self._metadata, self._metadata_at = metadata, time.monotonic()
        return metadata

    def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        with self._lock:
            fresh = time.monotonic() - self._keys_at < JWKS_MIN_REFRESH
            if self._keys is not None and (not refresh or fresh):
                return self._keys
        keys = self._get(self.metadata().jwks_uri)
        if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
            raise OidcError("provider_jwks_invalid")
        with self._lock:
            self._keys, self._keys_at = keys, time.monotonic()
        return keys

    def start(self, next_path: str, now: datetime) -> tuple[str, Flow]:
        """The URL to send the browser to, and the flow to remember in its cookie."""
        metadata = self.metadata()
        flow = Flow(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),
            next=next_path,
            started=now.timestamp(),
        )
        with OAuth2Client(
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            scope="openid",
            code_challenge_method="S256",
        ) as client:
            url, _ = client.create_authorization_url(
                metadata.authorization_endpoint,
                state=flow.state,
                code_verifier=flow.verifier,
                nonce=flow.nonce,
            )
        return url, flow

    def finish(self, flow: Flow, params: dict[str, str], now: datetime) -> Identity:
        """Redeem the code of the provider's answer and check its ID token."""
        metadata = self.metadata()
        if "error" in params:
            raise OidcError("provider_refused")
        if not secrets.compare_digest(params.get("state", ""), flow.state):
            raise OidcError("state_mismatch")
        # RFC 9207: a provider that names itself in the answer must be the one we asked.
        if "iss" in params and params["iss"] != metadata.issuer:
            raise OidcError("issuer_mismatch")
        code = params.get("code", "")
        if not code or len(code) > 2048:
            raise OidcError("missing_code")
        try:
            with OAuth2Client(
                client_id=self.client_id,
                client_secret=self.client_secret or None,
                token_endpoint_auth_method=(
                    "client_secret_basic" if self.client_secret else "none"
                ),
                redirect_uri=self.redirect_uri,
                timeout=HTTP_TIMEOUT,
            ) as client:
                token = client.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow.verifier,
                )
        except Exception:
            # Authlib raises its own OAuthError, httpx its errors: the code was refused or the
            # provider unreachable; neither message belongs in our logs.
            raise OidcError("code_refused") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("no_id_token")
        arguments: dict[str, Any] = {
            "issuer": metadata.issuer,
            "client_id": self.client_id,
            "nonce": flow.nonce,
            "access_token": token.get("access_token"),
            "algorithms": metadata.algorithms,
            "now": now,
        }
        try:
            claims = validate_id_token(id_token, keys=self.keys(), **arguments)
        except OidcError as error:
            if error.reason != "bad_id_token_signature":
                raise
            # A key the provider rotated in since we last looked: fetch once more.
            claims = validate_id_token(id_token, keys=self.keys(refresh=True), **arguments)
        return Identity(issuer=metadata.issuer, subject=claims["sub"])
