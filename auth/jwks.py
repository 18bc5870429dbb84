"""Validation of the public keys a partner registers for private_key_jwt."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

MAX_KEYS = 5
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
ALLOWED_MEMBERS = frozenset({"kty", "crv", "x", "y", "kid", "use", "alg", "key_ops"})


class JwksError(ValueError):
    """A registered key set is refused; `path` names the member, the message the rule."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def _coordinate(value: Any, path: str) -> int:
    if not isinstance(value, str):
        raise JwksError(path, "must be a base64url string")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise JwksError(path, "must be a base64url string") from None
    if len(raw) != 32:
        raise JwksError(path, "must encode 32 bytes for P-256")
    return int.from_bytes(raw, "big")


def validate_jwks(jwks: Any) -> dict[str, Any]:
    """Return the key set as stored: EC P-256 public keys for ES256 signatures only."""
    if not isinstance(jwks, dict) or set(jwks) != {"keys"} or not isinstance(jwks["keys"], list):
        raise JwksError("jwks", "must be an object with only a `keys` array")
    keys = jwks["keys"]
    if not 1 <= len(keys) <= MAX_KEYS:
        raise JwksError("jwks.keys", f"must hold 1 to {MAX_KEYS} keys")
    stored, kids = [], set()
    for index, key in enumerate(keys):
        path = f"jwks.keys[{index}]"
        if not isinstance(key, dict):
            raise JwksError(path, "must be a JWK object")
        if PRIVATE_MEMBERS.intersection(key):
            raise JwksError(path, "holds private key material; register the public key only")
        unknown = set(key) - ALLOWED_MEMBERS
        if unknown:
            raise JwksError(path, "has members other than kty, crv, x, y, kid, use, alg, key_ops")
        if key.get("kty") != "EC" or key.get("crv") != "P-256":
            raise JwksError(path, "must be an EC key on curve P-256")
        if key.get("alg", "ES256") != "ES256":
            raise JwksError(f"{path}.alg", "must be ES256 when given")
        if key.get("use", "sig") != "sig":
            raise JwksError(f"{path}.use", "must be sig when given")
        x, y = _coordinate(key.get("x"), f"{path}.x"), _coordinate(key.get("y"), f"{path}.y")
        try:
            ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        except ValueError:
            raise JwksError(path, "is not a point on P-256") from None
        kid = key.get("kid")
        if kid is not None and (not isinstance(kid, str) or not 1 <= len(kid) <= 128):
            raise JwksError(f"{path}.kid", "must be a string of 1 to 128 characters")
        if kid is None and len(keys) > 1:
            raise JwksError(f"{path}.kid", "is required when more than one key is registered")
        if kid in kids:
            raise JwksError(f"{path}.kid", "is used twice")
        kids.add(kid)
        stored.append(
            {
                name: key[name]
                for name in ("kty", "crv", "x", "y", "kid", "use", "alg")
                if name in key
            }
        )
    return {"keys": stored}
