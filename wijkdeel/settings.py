"""Configuration from the environment (API.md, "Operations")."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(Exception):
    """A setting makes start-up impossible; the message is one line, fit for an operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIJKDEEL_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = ""
    master_key: str = Field(default="", repr=False)
    var_dir: Path = Path("var")
    # Unset in development: `serve` derives it from the address it listens on (served_at).
    issuer: str = "http://127.0.0.1:8000"
    token_ttl: int = Field(default=300, ge=30, le=3600)
    # Authlib, openid-client and others sign client assertions valid for an hour by default.
    assertion_max_lifetime: int = Field(default=3600, ge=60, le=86400)
    webhook_allow_private: bool = False
    webhook_schedule: str = "0,5s,5m,30m,2h,5h,10h,10h"
    webhook_timeout: float = Field(
        default=15.0, gt=0, le=60, description="seconds for the whole exchange of one attempt"
    )
    webhook_lease: float = Field(
        default=60.0, gt=0, description="seconds a claimed delivery is held"
    )
    webhook_concurrency: int = Field(default=32, ge=1, le=256, description="sends at once")
    webhook_partner_concurrency: int = Field(
        default=4, ge=1, le=256, description="of those, the most one partner's deliveries hold"
    )
    subscription_limit: int = Field(
        default=10, ge=1, le=1000, description="webhook subscriptions per partner"
    )
    delivery_interval: float = Field(default=0.25, gt=0)
    rate_limit: float = Field(default=50.0, gt=0, description="requests per second per client")
    rate_burst: int = Field(default=100, ge=1)
    token_source_rate: float = Field(
        default=5.0, gt=0, description="token requests per second per source address"
    )
    token_source_burst: int = Field(default=20, ge=1)
    # Addresses (or CIDR ranges, comma-separated) of reverse proxies whose X-Forwarded-For is
    # believed; empty: the caller is the socket's peer.
    trusted_proxies: str = Field(default="", max_length=2000)
    # Rate limits shared exactly through Redis when set; else through the process census.
    redis_url: str = Field(default="", repr=False)
    # argon2id cost; lowered only by the test suite, never in production (checked below).
    secret_hash_memory_kib: int = Field(default=65536, ge=8)
    secret_hash_time_cost: int = Field(default=3, ge=1)
    # Capacity: a request that cannot get a database connection (or, on SQLite, the write slot)
    # within db_wait seconds answers 503 with Retry-After. The threadpool is larger than the
    # pool plus the other work that may run in a thread, so no thread ever waits for a
    # connection and nothing can deadlock (checked below).
    db_pool_size: int = Field(default=10, ge=1, le=200, description="PostgreSQL connections")
    db_wait: float = Field(default=3.0, gt=0, le=60, description="seconds to wait for capacity")
    db_statement_timeout: float = Field(default=15.0, gt=0, le=600)
    db_lock_timeout: float = Field(default=3.0, gt=0, le=600)
    sqlite_readers: int = Field(default=8, ge=1, le=64)
    threadpool_size: int = Field(default=40, ge=4, le=1000)
    hash_concurrency: int = Field(default=2, ge=1, le=64, description="argon2 checks at once")
    seal_interval: float = Field(default=0.5, gt=0)
    sweep_interval: float = Field(default=60.0, gt=0)
    match_unassigned_days: int = Field(
        default=5, ge=1, le=365, description="days a match may go without a coordinator"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Unset: JSON lines in production (for a log collector), text in development.
    log_format: Literal["json", "text"] | None = None
    # The console: people's sessions, sign-in by local account and by OpenID Connect.
    session_idle_timeout: int = Field(default=900, ge=60, le=86400, description="seconds")
    session_lifetime: int = Field(default=28800, ge=300, le=604800, description="seconds")
    local_accounts: bool = True
    sign_in_max_failures: int = Field(default=5, ge=1, le=100, description="per account name")
    sign_in_max_failures_per_address: int = Field(default=20, ge=1, le=100000)
    sign_in_lockout: int = Field(default=900, ge=1, le=86400, description="seconds")
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = Field(default="", repr=False)
    oidc_redirect_uri: str = ""
    oidc_label: str = Field(default="Inloggen via uw organisatie", max_length=80)
    docs: bool | None = None
    audit_verify_workers: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="processes that share a long audit verification (GET /v1/audit/verify)",
    )
    register_measures: str = Field(
        default="",
        max_length=4000,
        description="the technical and organisational measures the register of processing "
        "states (AVG art. 30(1)(g)); unset: a description of wijkdeel's own",
    )
    metrics_token: str = Field(
        default="", repr=False, description="bearer token for /metrics; unset: loopback only"
    )

    @model_validator(mode="after")
    def _capacity_fits(self) -> Settings:
        needed = max(self.db_pool_size, self.sqlite_readers + 1) + self.hash_concurrency + 4
        if self.threadpool_size < needed:
            raise ValueError(
                f"WIJKDEEL_THREADPOOL_SIZE must be at least {needed}: every database slot, every "
                "password check and a few other tasks must find a thread"
            )
        return self

    @field_validator("issuer", "oidc_issuer")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if bool(self.oidc_issuer) != bool(self.oidc_client_id):
            raise ValueError("WIJKDEEL_OIDC_ISSUER and WIJKDEEL_OIDC_CLIENT_ID go together")
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def log_form(self) -> Literal["json", "text"]:
        if self.log_format:
            return self.log_format
        return "json" if self.env == "production" else "text"

    @property
    def sqlite_default(self) -> str:
        return f"sqlite:///{(self.var_dir / 'wijkdeel.db').as_posix()}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_default

    @property
    def audience(self) -> str:
        """The `aud` of access tokens: this API, not the token endpoint."""
        return f"{self.issuer}/v1"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/v1/oauth/token"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def effective_oidc_redirect_uri(self) -> str:
        return self.oidc_redirect_uri or f"{self.issuer}/console/sign-in/oidc/callback"

    @property
    def docs_enabled(self) -> bool:
        """The API docs at /docs: on in development unless switched off, off in production
        unless switched on."""
        return self.docs if self.docs is not None else self.env == "development"

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS, except in local development over plain HTTP."""
        return self.env != "development"

    @property
    def issuer_configured(self) -> bool:
        return "issuer" in self.model_fields_set

    def served_at(self, host: str, port: int) -> Settings:
        """These settings for a server listening on host:port: in development without a
        configured issuer, the issuer is that address, so metadata, tokens and the OpenAPI
        servers entry name the port a client actually reaches."""
        if self.env == "production" or self.issuer_configured:
            return self
        if host in {"0.0.0.0", "::", ""}:  # noqa: S104  (a wildcard: name the loopback)
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return self.model_copy(update={"issuer": f"http://{host}:{port}"})

    def check_production(self) -> None:
        if self.env != "production":
            return
        if not self.master_key:
            raise ConfigurationError("WIJKDEEL_MASTER_KEY is required in production")
        flaw = weakness(decode_key(self.master_key, "WIJKDEEL_MASTER_KEY"))
        if flaw is not None:
            raise ConfigurationError(
                f"WIJKDEEL_MASTER_KEY is weak ({flaw}); use 32 random bytes, e.g. "
                "`openssl rand -base64 32`"
            )
        if not self.issuer_configured:
            raise ConfigurationError(
                "WIJKDEEL_ISSUER is required in production (the public https:// base URL)"
            )
        if not self.issuer.startswith("https://"):
            raise ConfigurationError("WIJKDEEL_ISSUER must be an https:// URL in production")
        if self.secret_hash_memory_kib < 65536 or self.secret_hash_time_cost < 3:
            raise ConfigurationError("client secret hashing may not be weakened in production")
        if self.webhook_allow_private:
            raise ConfigurationError("WIJKDEEL_WEBHOOK_ALLOW_PRIVATE is not allowed in production")
        if self.oidc_issuer and not self.oidc_issuer.startswith("https://"):
            raise ConfigurationError("WIJKDEEL_OIDC_ISSUER must be an https:// URL in production")
        if self.oidc_enabled and not self.effective_oidc_redirect_uri.startswith("https://"):
            raise ConfigurationError(
                "WIJKDEEL_OIDC_REDIRECT_URI must be an https:// URL in production"
            )

    @property
    def root_key_path(self) -> Path:
        return self.var_dir / "master.key"

    def root_key(self, *, create: bool = False) -> bytes:
        """The master key from the environment, or in development the one kept in var/.

        Only the commands that set up an installation (`migrate`, `bootstrap`, `demo`) pass
        `create`: anything else finding no key is pointed at the wrong installation, and a new
        key there would make every encrypted field of the right one look lost.
        """
        if self.master_key:
            return decode_key(self.master_key, "WIJKDEEL_MASTER_KEY")
        self.check_production()
        path = self.root_key_path
        if path.exists():
            return decode_key(path.read_text().strip(), str(path))
        if not create:
            raise ConfigurationError(
                f"no master key: WIJKDEEL_MASTER_KEY is not set and {path.resolve()} does not "
                "exist; set WIJKDEEL_VAR_DIR or WIJKDEEL_MASTER_KEY to your installation's"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        encoded = base64.b64encode(secrets.token_bytes(32)).decode()
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return decode_key(path.read_text().strip(), str(path))
        with os.fdopen(fd, "w") as handle:
            handle.write(encoded + "\n")
        return base64.b64decode(encoded)


def decode_key(encoded: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{origin} is not valid base64") from None
    if len(key) != 32:
        raise ConfigurationError(f"{origin} must decode to 32 bytes, not {len(key)}")
    return key


# Fewer distinct byte values than this in 32 random bytes has a chance of about 2e-15.
MIN_DISTINCT_BYTES = 16


def weakness(key: bytes) -> str | None:
    """Why `key` is plainly not random (a word for the operator), or None.

    Each test refuses a random 32-byte key with a chance below 1e-13, so a real key is never
    refused; they catch the keys people type or copy from examples.
    """
    if len(set(key)) < MIN_DISTINCT_BYTES:
        return "too few distinct bytes"
    if any(key[period:] == key[:-period] for period in range(1, len(key) // 2 + 1)):
        return "a repeating pattern"
    steps = {(b - a) % 256 for a, b in pairwise(key)}
    if len(steps) == 1:
        return "a counting sequence"
    if list(key) in (sorted(key), sorted(key, reverse=True)):
        return "its bytes are in order"
    if all(0x20 <= byte < 0x7F for byte in key):
        return "printable text, not random bytes"
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
