"""The process's wiring: settings, database, clock and keys, built once and shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from audit.writer import AuditWriter
from auth.clients import ClientAuthenticator
from auth.keys import SigningKeys
from auth.secrets import SecretHasher
from auth.tokens import TokenVerifier
from core.clock import Clock, system_clock
from notifications.schedule import parse_schedule
from notifications.targets import Resolver, SystemResolver
from records.db import Database
from records.keyring import KeyringStore
from records.policy import PolicyStore
from records.subjects import SubjectKeys
from wijkdeel.settings import ConfigurationError, Settings, get_settings


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
    audit_writer: AuditWriter
    policy: PolicyStore = field(default_factory=PolicyStore)
    started_at: datetime = field(default_factory=system_clock)
    _subjects: SubjectKeys | None = None

    def now(self) -> datetime:
        return self.clock()

    def session(self) -> Session:
        return Session(self.db.engine, expire_on_commit=False)

    @property
    def subjects(self) -> SubjectKeys:
        """Blind index and pseudonym keys; derived from the root key, so rotation keeps them."""
        if self._subjects is None:
            self._subjects = SubjectKeys.from_keyring(self.keyrings.get())
        return self._subjects

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def warm(self) -> None:
        """Load (on a first start: create) the keys, so no request ever has to."""
        self.keyrings.get()
        self.signing_keys.current()

    def close(self) -> None:
        self.db.dispose()


def build_runtime(
    settings: Settings | None = None, *, db: Database | None = None, clock: Clock | None = None
) -> Runtime:
    settings = settings or get_settings()
    settings.check_production()
    clock = clock or system_clock
    db = db or Database(settings.effective_database_url)
    root = settings.root_key()

    keyrings = KeyringStore(db, root, clock)
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
        audit_writer=AuditWriter(db),
        authenticator=ClientAuthenticator(
            hasher, issuer=settings.issuer, token_endpoint=settings.token_endpoint
        ),
    )
