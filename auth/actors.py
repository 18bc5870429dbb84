"""Actor tokens (RFC 8693 style): a partner system acting for one of its professionals.

The token request carries `actor_token`, a JWT the partner system signs with the same
registered key as its client assertion. It names the professional by the partner's own stable
id (`sub`) and describes them (name, function, work contact). The access token then carries
only `act: {sub}`; the description is kept sealed per partner (records.professionals), so it
never travels in clear in a bearer token that every API call shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError

from auth import jwt
from records.subjects import elfproef

ACTOR_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105  (a URN)
LEEWAY_SECONDS = 30
MAX_TEXT = 200
MAX_JTI = 200  # stored with a prefix beside client assertion ids (255 characters)
# The partner's own id for the person: an employee number or a login name, never free text.
SUB_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_SUB = re.compile(SUB_PATTERN)
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{1,38}[0-9]$")
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


@dataclass(frozen=True)
class Actor:
    """A professional a token request acts for, as its verified actor token describes them."""

    sub: str
    name: str
    function: str
    email: str | None
    phone: str | None
    jti: str
    expires: datetime

    def details(self) -> dict[str, str]:
        """What a signal shows of its sending professional (`senderProfessional`)."""
        shown = {"name": self.name, "function": self.function}
        if self.email:
            shown["email"] = self.email
        if self.phone:
            shown["phone"] = self.phone
        return shown


def is_professional_id(value: object) -> bool:
    """A partner-scoped professional id: short, slug-like, and never a BSN."""
    return isinstance(value, str) and _SUB.fullmatch(value) is not None and not elfproef(value)


class ActorRefused(Exception):
    """An actor token was refused; `reason` is a stable phrase that never echoes a value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refused(reason: str) -> ActorRefused:
    return ActorRefused(reason)


def _text(claims: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise refused(name)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise refused(name)
    return value.strip()


def verify_actor(
    token: str,
    *,
    client_id: str,
    keys: Mapping[str, jwt.Key],
    audiences: set[str],
    max_lifetime: timedelta,
    now: datetime,
) -> Actor:
    """The professional an actor token describes, once its signature (by one of the client's
    registered `keys`), issuer, lifetime and claims pass; raises ActorRefused."""
    try:
        header = jwt.unverified_header(token)
        claims = jwt.verify(
            token,
            keys,
            typ=(None, "JWT"),
            audience=audiences,
            audience_optional=True,
            issuer=client_id,
            leeway=LEEWAY_SECONDS,
            required=("sub", "name", "function", "iat", "exp", "jti"),
            now=now.timestamp(),
            header=header,
        )
    except jwt.TokenError as error:
        raise refused(error.reason) from None
    if not is_professional_id(claims["sub"]):
        raise refused(
            "sub must be the partner's id for the professional (1 to 64 of A-Z a-z 0-9 . _ -, "
            "not a BSN)"
        )
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    if expires > now + max_lifetime + timedelta(seconds=LEEWAY_SECONDS):
        raise refused("exp too far ahead")
    if int(claims["iat"]) < (now - max_lifetime - timedelta(seconds=LEEWAY_SECONDS)).timestamp():
        raise refused("iat too long ago")
    jti = claims["jti"]
    if not isinstance(jti, str) or len(jti) > MAX_JTI:
        raise refused("jti")
    email = _text(claims, "email", required=False)
    if email is not None:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError:
            raise refused("email") from None
    phone = _text(claims, "phone", required=False)
    if phone is not None and not _PHONE.fullmatch(phone):
        raise refused("phone")
    name, function = _text(claims, "name", required=True), _text(claims, "function", required=True)
    assert name is not None and function is not None  # required
    return Actor(claims["sub"], name, function, email, phone, jti, expires)
