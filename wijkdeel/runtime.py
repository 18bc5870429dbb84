"""The process's wiring: settings, database, clock and keys, built once and shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session, select

from audit.anchoring import create_key as create_audit_key
from audit.events import system_event
from auth.clients import ClientAuthenticator
from auth.keys import SigningKeys, ensure_signing_key
from auth.secrets import SecretHasher
from auth.tokens import TokenVerifier
from core.clock import Clock, system_clock
from notifications.schedule import parse_schedule
from notifications.targets import Resolver, SystemResolver
from records.db import Capacity, Database
from records.keyring import KeyringStore, ensure_master, read_keyring
from records.models import AuditKey
from records.policy import PolicyStore
from records.subjects import SubjectKeys
from wijkdeel.settings import ConfigurationError, Settings, get_settings

if TYPE_CHECKING:
    from wijkdeel.unit import Units


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    keyrings: KeyringStore
    signing_keys: SigningKeys
    verifier: TokenVerifier
    hasher: SecretHasher
    authenticator: ClientAuthenticator
    schedule: tuple[float, ...]
    resolver: Resolver
    root: bytes = field(repr=False, default=b"")
    policy: PolicyStore = field(default_factory=PolicyStore)
    started_at: datetime = field(default_factory=system_clock)
    _subjects: SubjectKeys | None = None
    _units: Units | None = None

    def now(self) -> datetime:
        return self.clock()

    @property
    def subjects(self) -> SubjectKeys:
        """Blind index and pseudonym keys; derived from the root key, so rotation keeps them."""
        if self._subjects is None:
            self._subjects = SubjectKeys.from_keyring(self.keyrings.get())
        return self._subjects

    @property
    def units(self) -> Units:
        """The unit-of-work runner of this process (wijkdeel.unit), shared by every surface."""
        if self._units is None:
            from wijkdeel.unit import Units

            self._units = Units(self)
        return self._units

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def bootstrap(self) -> None:
        """Create the first keys if the database has none yet - master key, token signing key,
        audit checkpoint key - each with its system event; then load them, so no request ever
        has to. Run explicitly at start-up and by `wijkdeel migrate`; idempotent, and safe when
        several processes start at once."""
        now = self.now()
        with self.db.session() as session:
            _serialise_bootstrap(session)
            version = ensure_master(session, self.root, now)
            if version is not None:
                system_event(session, "key.create_master", "master_key", str(version), now)
            session.flush()
            keyring = read_keyring(session, self.root)
            assert keyring is not None
            kid = ensure_signing_key(session, keyring, now)
            if kid is not None:
                system_event(session, "key.create_signing", "signing_key", kid, now)
            if session.exec(select(AuditKey.kid)).first() is None:
                audit_kid = create_audit_key(session, keyring, now)
                system_event(session, "key.create_audit", "audit_key", audit_kid, now)
        self.keyrings.reload()
        self.signing_keys.reload()

    def close(self) -> None:
        self.db.dispose()


def build_runtime(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    root_key: bytes | None = None,
) -> Runtime:
    """The wiring of one process; `root_key` defaults to the one the settings name (which must
    exist: creating one is for `wijkdeel migrate`, see wijkdeel/installation.py)."""
    settings = settings or get_settings()
    settings.check_production()
    clock = clock or system_clock
    root = root_key if root_key is not None else settings.root_key()
    db = db or Database(settings.effective_database_url, capacity=capacity_of(settings))

    keyrings = KeyringStore(db, root)
    signing_keys = SigningKeys(db, keyrings, token_ttl=settings.token_ttl, clock=clock)
    try:
        schedule = parse_schedule(settings.webhook_schedule)
    except ValueError as error:
        raise ConfigurationError(f"WIJKDEEL_WEBHOOK_SCHEDULE: {error}") from None
    if settings.webhook_lease <= settings.webhook_timeout:
        # Otherwise another worker could take a delivery that is still being sent.
        raise ConfigurationError(
            "WIJKDEEL_WEBHOOK_LEASE must be longer than WIJKDEEL_WEBHOOK_TIMEOUT"
        )
    hasher = SecretHasher(
        memory_kib=settings.secret_hash_memory_kib, time_cost=settings.secret_hash_time_cost
    )
    return Runtime(
        settings=settings,
        db=db,
        clock=clock,
        keyrings=keyrings,
        signing_keys=signing_keys,
        verifier=TokenVerifier(signing_keys, issuer=settings.issuer, audience=settings.audience),
        hasher=hasher,
        schedule=schedule,
        resolver=SystemResolver(),
        root=root,
        authenticator=ClientAuthenticator(
            hasher,
            issuer=settings.issuer,
            token_endpoint=settings.token_endpoint,
            max_assertion_lifetime=timedelta(seconds=settings.assertion_max_lifetime),
        ),
    )


def capacity_of(settings: Settings) -> Capacity:
    return Capacity(
        pool_size=settings.db_pool_size,
        sqlite_readers=settings.sqlite_readers,
        statement_timeout=settings.db_statement_timeout,
        lock_timeout=settings.db_lock_timeout,
    )


# An arbitrary constant naming "creating the first keys" among PostgreSQL advisory locks.
_BOOTSTRAP_LOCK = 0x57444B59


def _serialise_bootstrap(session: Session) -> None:
    """One process at a time creates the first keys (on SQLite the background engine's
    BEGIN IMMEDIATE already holds the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BOOTSTRAP_LOCK})
