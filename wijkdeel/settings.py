"""Configuration from the environment (API.md, "Operations")."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from functools import lru_cache
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
    # Unset in development: `serve` derives it from the address it listens on (served_at).
    issuer: str = "http://127.0.0.1:8000"
    token_ttl: int = Field(default=300, ge=30, le=3600)
    # Authlib, openid-client and others sign client assertions valid for an hour by default.
    assertion_max_lifetime: int = Field(default=3600, ge=60, le=86400)
    webhook_allow_private: bool = False
    webhook_schedule: str = "0,5s,5m,30m,2h,5h,10h,10h"
    webhook_timeout: float = Field(default=15.0, gt=0, le=60)
    webhook_lease: float = Field(
        default=60.0, gt=0, description="seconds a claimed delivery is held"
    )
    webhook_concurrency: int = Field(default=8, ge=1, le=64)
    delivery_interval: float = Field(default=0.25, gt=0)
    rate_limit: float = Field(default=50.0, gt=0, description="requests per second per client")
    rate_burst: int = Field(default=100, ge=1)
    # argon2id cost; lowered only by the test suite, never in production (checked below).
    secret_hash_memory_kib: int = Field(default=65536, ge=8)
    secret_hash_time_cost: int = Field(default=3, ge=1)
    seal_interval: float = Field(default=0.5, gt=0)
    sweep_interval: float = Field(default=60.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Unset: JSON lines in production (for a log collector), text in development.
    log_format: Literal["json", "text"] | None = None

    @field_validator("issuer")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
