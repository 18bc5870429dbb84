"""Signing in: by local password and TOTP, or by an ID token's issuer and subject, and signing
out. Plain functions of a unit of work (`work(tx)`): the console runs them, nothing here knows
about HTTP.

Local sign-in takes three steps so that the slow password hash never runs inside a database
transaction (on SQLite that would hold the single writer): `begin_local` counts the attempt
and reads the account, `verify_local` checks password and code with no transaction, and
`finish_local` opens the session or refuses with the audit event under the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session, select

from audit.events import AuditDraft
from core.errors import Unauthorized
from people import accounts, sessions, throttle, totp
from people.sessions import SignedIn, Timeouts
from records.keyring import SealError
from records.models import Person
from wijkdeel.runtime import Runtime

LOCAL = "local"
OIDC = "oidc"


class Tx(Protocol):
    """What a unit of work hands to domain code (console.unit; later the shared unit)."""

    @property
    def session(self) -> Session: ...
    @property
    def runtime(self) -> Runtime: ...
    @property
    def now(self) -> datetime: ...
    @property
    def audit(self) -> AuditDraft: ...
    @property
    def actor(self) -> SignedIn | None: ...


def timeouts(runtime: Runtime) -> Timeouts:
    settings = runtime.settings
    return Timeouts(
        idle=timedelta(seconds=settings.session_idle_timeout),
        lifetime=timedelta(seconds=settings.session_lifetime),
    )


def limits(runtime: Runtime) -> throttle.Limits:
    settings = runtime.settings
    return throttle.Limits(
        per_account=settings.sign_in_max_failures,
        per_address=settings.sign_in_max_failures_per_address,
        lockout=timedelta(seconds=settings.sign_in_lockout),
    )


def throttle_secret(runtime: Runtime) -> bytes:
    return runtime.keyrings.get().derive("people/sign-in-throttle")


@dataclass(frozen=True)
class Account:
    """What the password check needs of an account, read in the first step."""

    id: str
    role: str
    active: bool
    password_hash: str | None
    totp_version: int | None
    totp_blob: bytes | None
    totp_last_step: int | None


@dataclass(frozen=True)
class LocalAttempt:
    account_key: str
    address_key: str
    account: Account | None
    tripped: bool
    audit_failure: bool
    refused_before: int
    # Set when the attempt was refused unchecked, the name or address being locked until then.
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    step: int | None
    reason: str


def begin_local(tx: Tx, username: str, address: str | None) -> LocalAttempt:
    """Refuse at once while the name or the address is locked (`locked_until` set; counted,
    not audited one by one, and committed: so it is returned, not raised); else count this
    attempt as a failure until `finish_local` forgives it."""
    secret = throttle_secret(tx.runtime)
    keys = (
        throttle.account_key(secret, username[:200]),
        throttle.address_key(secret, address),
    )
    until = throttle.locked_until(tx.session, keys, tx.now)
    if until is not None:
        return LocalAttempt(keys[0], keys[1], None, False, False, 0, locked_until=until)
    limit = limits(tx.runtime)
    on_account = throttle.register(tx.session, keys[0], limit.per_account, limit.lockout, tx.now)
    on_address = throttle.register(tx.session, keys[1], limit.per_address, limit.lockout, tx.now)
    person = tx.session.exec(
        select(Person).where(Person.username == username.strip().lower()[:64])
    ).first()
    account = (
        Account(
            id=person.id,
            role=person.role,
            active=person.status == "active",
            password_hash=person.password_hash,
            totp_version=person.totp_key_version,
            totp_blob=person.totp_secret,
            totp_last_step=person.totp_last_step,
        )
        if person is not None
        else None
    )
    tripped = on_account.tripped or on_address.tripped
    return LocalAttempt(
        account_key=keys[0],
        address_key=keys[1],
        account=account,
        tripped=tripped,
        # A known person's failures are bounded by their account's lock; an unknown name's
        # only by the address, so those are written once per address and window.
        audit_failure=account is not None or on_address.failures == 1 or tripped,
        refused_before=on_account.refused_before + on_address.refused_before,
    )


def verify_local(runtime: Runtime, attempt: LocalAttempt, password: str, code: str) -> Verdict:
    """Password and code, checked with no transaction open. Both are always checked, with a
    decoy hash for an unknown name, so the time taken tells nothing."""
    account = attempt.account
    password_ok = runtime.hasher.verify(account.password_hash if account else None, password)
    secret = None
    if account is not None and account.totp_blob is not None and account.totp_version:
        try:
            secret = totp.open_secret(
                runtime.keyrings.for_version(account.totp_version),
                account.id,
                account.totp_version,
                account.totp_blob,
            )
        except SealError:
            secret = None
    step = totp.accepted_step(
        secret or totp.new_secret(),
        code,
        now=runtime.now(),
        last_step=account.totp_last_step if account else None,
    )
    if account is None:
        return Verdict(False, None, "unknown_account")
    if not account.active:
        return Verdict(False, None, "disabled")
    if not password_ok:
        return Verdict(False, None, "bad_password")
    if secret is None:
        return Verdict(False, None, "no_second_factor")
    if step is None:
        return Verdict(False, None, "bad_code")
    return Verdict(True, step, "ok")


def finish_local(tx: Tx, attempt: LocalAttempt, verdict: Verdict) -> str:
    """Open the session (returns its token), or refuse: raises Unauthorized, and the unit
    records the deny event under the person when there is one."""
    account = attempt.account
    if account is not None:
        tx.audit.actor_person, tx.audit.role = account.id, account.role
    tx.audit.resource_type, tx.audit.resource_id = "person", account.id if account else None
    if attempt.refused_before:
        tx.audit.count = attempt.refused_before
    reason = verdict.reason + (",locked" if attempt.tripped else "")
    if not verdict.ok or account is None or verdict.step is None:
        raise Unauthorized("the sign-in is refused", code="sign_in_failed", reasons=[reason])
    person = tx.session.get(Person, account.id, with_for_update=True)
    # Checked again under the row lock: a code is good once, also when two sign-ins race.
    if (
        person is None
        or person.status != "active"
        or person.password_hash != account.password_hash
        or (person.totp_last_step is not None and verdict.step <= person.totp_last_step)
    ):
        raise Unauthorized("the sign-in is refused", code="sign_in_failed", reasons=["replay"])
    person.totp_last_step = verdict.step
    person.last_sign_in_at = tx.now
    tx.session.add(person)
    throttle.forgive(tx.session, attempt.account_key, clear=True, now=tx.now)
    throttle.forgive(tx.session, attempt.address_key, clear=False, now=tx.now)
    tx.audit.reason = LOCAL
    return _open(tx, person, LOCAL)


def _open(tx: Tx, person: Person, method: str) -> str:
    sessions.prune(tx.session, tx.now)
    throttle.prune(tx.session, tx.now)
    return sessions.open_session(
        tx.session, person, method=method, now=tx.now, timeouts=timeouts(tx.runtime)
    )


@dataclass(frozen=True)
class OidcMatch:
    person_id: str | None
    audit_refusal: bool
    locked_until: datetime | None = None


def match_oidc(tx: Tx, issuer: str, subject: str, address: str | None) -> OidcMatch:
    """The active person linked to this issuer and subject. An unknown (or disabled) one is
    counted against the source address like a failed password, so a loop of refused sign-ins
    is written to the audit log once per address and window."""
    secret = throttle_secret(tx.runtime)
    key = throttle.address_key(secret, address)
    until = throttle.locked_until(tx.session, (key,), tx.now)
    if until is not None:
        return OidcMatch(None, False, locked_until=until)
    person = tx.session.exec(
        select(Person).where(Person.oidc_issuer == issuer, Person.oidc_subject == subject)
    ).first()
    if person is not None and person.status == "active":
        return OidcMatch(person.id, False)
    limit = limits(tx.runtime)
    count = throttle.register(tx.session, key, limit.per_address, limit.lockout, tx.now)
    return OidcMatch(None, count.failures == 1 or count.tripped or person is not None)


def count_failure(tx: Tx, address: str | None) -> bool:
    """An identity provider's answer that failed its checks, counted on the source address;
    True when it is to be written to the audit log (the first in a window, or the one that
    locks the address)."""
    key = throttle.address_key(throttle_secret(tx.runtime), address)
    limit = limits(tx.runtime)
    count = throttle.register(tx.session, key, limit.per_address, limit.lockout, tx.now)
    return count.failures == 1 or count.tripped


def refuse_oidc(tx: Tx, issuer: str, subject: str) -> None:
    """The deny event of an ID token that names nobody here (raises)."""
    person = tx.session.exec(
        select(Person).where(Person.oidc_issuer == issuer, Person.oidc_subject == subject)
    ).first()
    if person is not None:
        tx.audit.actor_person, tx.audit.role = person.id, person.role
    tx.audit.resource_type, tx.audit.resource_id = "person", person.id if person else None
    reason = "disabled" if person is not None else "unknown_person"
    raise Unauthorized("no active person is linked to this account", reasons=[reason])


def finish_oidc(tx: Tx, person_id: str) -> str:
    person = tx.session.get(Person, person_id, with_for_update=True)
    if person is None or person.status != "active":
        raise Unauthorized("no active person is linked to this account", reasons=["disabled"])
    tx.audit.actor_person, tx.audit.role = person.id, person.role
    tx.audit.resource_type, tx.audit.resource_id = "person", person.id
    tx.audit.reason = OIDC
    person.last_sign_in_at = tx.now
    tx.session.add(person)
    return _open(tx, person, OIDC)


def resolve(tx: Tx, token: str) -> SignedIn | None:
    return sessions.resolve(tx.session, token, now=tx.now, timeouts=timeouts(tx.runtime))


def sign_out(tx: Tx) -> None:
    actor = _actor(tx)
    tx.audit.resource_type, tx.audit.resource_id = "person", actor.person_id
    sessions.end(tx.session, actor.session_hash, now=tx.now, reason="signed_out")


def begin_password_change(tx: Tx, address: str | None) -> LocalAttempt:
    """A password change checks the current password: counted like a sign-in on the
    person's own name, so a stolen session cannot guess it either."""
    actor = _actor(tx)
    return begin_local(tx, actor.username, address)


def change_password(tx: Tx, attempt: LocalAttempt, current_ok: bool, new_hash: str) -> None:
    actor = _actor(tx)
    tx.audit.resource_type, tx.audit.resource_id = "person", actor.person_id
    if not current_ok:
        raise Unauthorized(
            "the current password is wrong", code="wrong_password", reasons=["bad_password"]
        )
    person = accounts.get_person(tx.session, actor.person_id)
    person.password_hash = new_hash
    person.password_must_change = False
    person.updated_at = tx.now
    tx.session.add(person)
    throttle.forgive(tx.session, attempt.account_key, clear=True, now=tx.now)
    throttle.forgive(tx.session, attempt.address_key, clear=False, now=tx.now)
    # Every other session of this person ends: a password change is how one locks out a
    # browser left signed in elsewhere.
    for row_hash in sessions.other_sessions(tx.session, actor.person_id, actor.session_hash):
        sessions.end(tx.session, row_hash, now=tx.now, reason="password_changed")


def _actor(tx: Tx) -> SignedIn:
    if tx.actor is None:
        raise Unauthorized("sign in first", code="not_signed_in")
    return tx.actor
