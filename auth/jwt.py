"""The only module that touches python-jose: JWT signing and RFC 8725 verification.

Keys are built once (python-jose re-parses a PEM or JWK on every call otherwise) and picked by
`kid`. Everything a JWT library leaves to the caller is checked here: the algorithm allow-list
before the signature, `typ`, headers that would make us fetch or trust keys from the token, the
size, and the required claims.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping
from typing import Any

import orjson
from jose import jwk, jws
from jose import jwt as jose_jwt
from jose.backends.base import Key

__all__ = ["Key", "TokenError", "private_key", "public_key", "sign", "verify", "verify_signed"]
from jose.exceptions import JOSEError, JWTClaimsError

ALGORITHM = "ES256"
ALGORITHMS = [ALGORITHM]
MAX_TOKEN_BYTES = 8 * 1024
# Headers that point at keys (never fetched, never trusted) or demand extensions we don't know.
REFUSED_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})


class TokenError(Exception):
    """A JWT was refused; `reason` is a stable word, safe to log and to return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def public_key(jwk_dict: Mapping[str, Any]) -> Key:
    return jwk.construct(dict(jwk_dict), algorithm=ALGORITHM)


def private_key(pem: bytes) -> Key:
    return jwk.construct(pem.decode(), algorithm=ALGORITHM)


def sign(claims: Mapping[str, Any], key: Key, *, kid: str, typ: str) -> str:
    return jose_jwt.encode(dict(claims), key, algorithm=ALGORITHM, headers={"kid": kid, "typ": typ})


def unverified_header(token: str) -> dict[str, Any]:
    """The header after the structural checks that need no key."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenError("token_too_large")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenError("malformed")
    try:
        header = orjson.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise TokenError("malformed") from None
    if not isinstance(header, dict):
        raise TokenError("malformed")
    if header.get("alg") != ALGORITHM:
        raise TokenError("algorithm_not_allowed")
    if REFUSED_HEADERS.intersection(header):
        raise TokenError("header_not_allowed")
    return header


def verify(
    token: str,
    keys: Mapping[str, Key],
    *,
    typ: Collection[str | None],
    audience: Collection[str],
    issuer: str | None,
    leeway: int,
    required: Collection[str],
    now: float,
    header: Mapping[str, Any] | None = None,
    audience_optional: bool = False,
) -> dict[str, Any]:
    """Verify signature and claims; returns the claims or raises TokenError.

    `keys` maps kid to key ("" for a key registered without one); a token without `kid` is
    only accepted when there is one key.
    `typ` lists the accepted header values (None: absent). `audience` is any-of; with
    `audience_optional` a token without `aud` passes (one with it must still name us).
    """
    header = header if header is not None else unverified_header(token)
    if header.get("typ") not in typ:
        raise TokenError("wrong_type")
    kid = header.get("kid")
    if isinstance(kid, str) and kid in keys:
        key = keys[kid]
    elif len(keys) == 1 and (kid is None or "" in keys):
        key = next(iter(keys.values()))
    else:
        raise TokenError("unknown_key")
    try:
        claims = jose_jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            issuer=issuer,
            # Time claims are checked below against the injected clock, not the wall clock.
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_at_hash": False,
            },
        )
    except JWTClaimsError:
        raise TokenError("invalid_claims") from None
    except JOSEError:
        raise TokenError("invalid_signature") from None
    _check_times(claims, now, leeway)
    aud = claims.get("aud")
    auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not (audience_optional and aud is None) and not any(a in audience for a in auds):
        raise TokenError("wrong_audience")
    for name in required:
        value = claims.get(name)
        if value is None or value == "":
            raise TokenError(f"missing_{name}")
    return claims


def _check_times(claims: Mapping[str, Any], now: float, leeway: int) -> None:
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TokenError("invalid_claims")
    if "exp" not in claims:
        raise TokenError("missing_exp")
    if claims["exp"] + leeway < now:
        raise TokenError("expired")
    if claims.get("nbf") is not None and claims["nbf"] - leeway > now:
        raise TokenError("not_yet_valid")
    if claims.get("iat") is not None and claims["iat"] - leeway > now:
        raise TokenError("issued_in_the_future")


def verify_signed(
    token: str, keys: Mapping[str, Key], *, typ: str, lone_key: bool = False
) -> dict[str, Any]:
    """A signed document (not an access token): the structural header checks, `typ`, a key
    chosen by `kid` from `keys` alone, and the signature; returns the payload. With `lone_key`
    a document without `kid` is verified with the one key there is (a client's key registered
    without kid, stored under ""). No claim is checked here: what the payload must hold is the
    caller's to decide."""
    header = unverified_header(token)
    if header.get("typ") != typ:
        raise TokenError("wrong_type")
    kid = header.get("kid")
    if lone_key and kid is None and len(keys) == 1:
        kid = next(iter(keys))
    if not isinstance(kid, str) or kid not in keys:
        raise TokenError("unknown_key")
    try:
        payload = jws.verify(token, keys[kid], algorithms=ALGORITHMS)
    except JOSEError:
        raise TokenError("invalid_signature") from None
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise TokenError("malformed") from None
    if not isinstance(value, dict):
        raise TokenError("malformed")
    return value


def unsafe_peek(token: str) -> dict[str, Any]:
    """Claims without any verification: only for choosing which keys to verify with."""
    try:
        claims = jws.get_unverified_claims(token)
        value = orjson.loads(claims)
    except (JOSEError, orjson.JSONDecodeError):
        raise TokenError("malformed") from None
    if not isinstance(value, dict):
        raise TokenError("malformed")
    return value
