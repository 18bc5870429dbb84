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

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(Exception):
    """A setting makes start-up impossible; the message is one line, fit for an operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIJKDEEL_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = ""
    master_key: str = Field(default="", repr=False)
    var_dir: Path = Path("var")
    issuer: str = "http://127.0.0.1:8000"
    token_ttl: int = Field(default=300, ge=30, le=3600)
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
    # argon2id cost; lowered only by the test suite, never in production (checked below).
    secret_hash_memory_kib: int = Field(default=65536, ge=8)
    secret_hash_time_cost: int = Field(default=3, ge=1)
    seal_interval: float = Field(default=0.5, gt=0)
    sweep_interval: float = Field(default=60.0, gt=0)
    log_level: str = "INFO"
    audit_verify_workers: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="processes that share a long audit verification (GET /v1/audit/verify)",
    )
    metrics_token: str = Field(
        default="", repr=False, description="bearer token for /metrics; unset: loopback only"
    )

    @field_validator("issuer")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

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
        if not self.issuer.startswith("https://"):
            raise ConfigurationError("WIJKDEEL_ISSUER must be an https:// URL in production")
        if self.secret_hash_memory_kib < 65536 or self.secret_hash_time_cost < 3:
            raise ConfigurationError("client secret hashing may not be weakened in production")
        if self.webhook_allow_private:
            raise ConfigurationError("WIJKDEEL_WEBHOOK_ALLOW_PRIVATE is not allowed in production")

    def root_key(self) -> bytes:
        """The master key from the environment, or in development one kept in var/."""
        if self.master_key:
            return decode_key(self.master_key, "WIJKDEEL_MASTER_KEY")
        self.check_production()
        path = self.var_dir / "master.key"
        if path.exists():
            return decode_key(path.read_text().strip(), str(path))
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
