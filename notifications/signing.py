"""Standard Webhooks signatures: secrets, the `webhook-signature` header and request headers."""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from secrets import token_bytes

SECRET_PREFIX = "whsec_"  # noqa: S105 -- the marker of the format, not a secret
SIGNATURE_VERSION = "v1"
USER_AGENT = "wijkdeel-webhooks/1"


def new_secret() -> str:
    """A fresh subscription secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    # Error messages never echo the secret: they can end up in logs.
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise ValueError("webhook secret is not valid base64") from None
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def _check_message(msg_id: str, timestamp: int) -> None:
    # The signed content is `{id}.{timestamp}.{body}`: an id with whitespace or control
    # characters could not travel in a header, and a bool is an int that would sign as "True".
    if not msg_id or " " in msg_id or not (msg_id.isascii() and msg_id.isprintable()):
        raise ValueError("webhook id must be non-empty printable ASCII without spaces")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("webhook timestamp must be a non-negative int (Unix seconds)")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64(HMAC-SHA256(secret, `{msg_id}.{timestamp}.` + body))."""
    _check_message(msg_id, timestamp)
    key = _key(secret)
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION}," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Space-separated signatures, one per secret, so receivers on either side of a rotation
    verify."""
    # A bare str is a Sequence[str] too; signing with each of its characters would be nonsense.
    if isinstance(secrets, str):
        raise TypeError("secrets must be a sequence of secrets, not a single str")
    unique = list(dict.fromkeys(secrets))
    if not unique:
        raise ValueError("at least one webhook secret is needed")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in unique)


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one webhook request; retries reuse `msg_id` so receivers can dedupe."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
