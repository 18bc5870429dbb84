"""Settings: production refuses to start without what it needs; development makes a key."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

import pytest

from tests.conftest import MASTER_KEY
from wijkdeel.settings import ConfigurationError, Settings, weakness


def test_production_needs_a_master_key(tmp_path: Path) -> None:
    settings = Settings(env="production", issuer="https://wijkdeel.example.nl", var_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="WIJKDEEL_MASTER_KEY is required"):
        settings.check_production()
    assert not (tmp_path / "master.key").exists()


def test_production_needs_an_https_issuer() -> None:
    settings = Settings(
        env="production", master_key=MASTER_KEY, issuer="http://wijkdeel.example.nl"
    )
    with pytest.raises(ConfigurationError, match="https://"):
        settings.check_production()


def test_production_forbids_test_shortcuts() -> None:
    settings = Settings(
        env="production",
        master_key=MASTER_KEY,
        issuer="https://x.example",
        webhook_allow_private=True,
    )
    with pytest.raises(ConfigurationError):
        settings.check_production()


def test_development_generates_a_private_master_key_only_when_asked(tmp_path: Path) -> None:
    settings = Settings(env="development", var_dir=tmp_path / "var")
    path = tmp_path / "var" / "master.key"
    with pytest.raises(ConfigurationError, match="no master key"):
        settings.root_key()
    assert not path.parent.exists()
    key = settings.root_key(create=True)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.root_key() == key


def test_production_needs_a_configured_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIJKDEEL_ISSUER", raising=False)
    settings = Settings(env="production", master_key=MASTER_KEY)
    with pytest.raises(ConfigurationError, match="WIJKDEEL_ISSUER is required"):
        settings.check_production()
    assert settings.served_at("0.0.0.0", 8100).issuer == settings.issuer  # noqa: S104


@pytest.mark.parametrize(
    ("host", "issuer"),
    [
        ("127.0.0.1", "http://127.0.0.1:8100"),
        ("0.0.0.0", "http://127.0.0.1:8100"),  # noqa: S104
        ("localhost", "http://localhost:8100"),
        ("::1", "http://[::1]:8100"),
    ],
)
def test_an_unconfigured_development_issuer_follows_the_address(
    host: str, issuer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WIJKDEEL_ISSUER", raising=False)
    settings = Settings(env="development").served_at(host, 8100)
    assert settings.issuer == issuer
    assert settings.audience == f"{issuer}/v1"
    assert settings.token_endpoint == f"{issuer}/v1/oauth/token"
    configured = Settings(env="development", issuer="http://wijkdeel.test:8000")
    assert configured.served_at(host, 8100).issuer == "http://wijkdeel.test:8000"


@pytest.mark.parametrize("value", ["not base64!", "c2hvcnQ="])
def test_bad_master_keys_are_refused_in_one_line(value: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        Settings(master_key=value).root_key()
    assert "\n" not in str(error.value) and value not in str(error.value)


WEAK_KEYS = {
    "all zero": bytes(32),
    "all one byte": b"\xa5" * 32,
    "few distinct bytes": bytes([1, 2, 3, 4]) * 8,
    "a repeating pattern": bytes(range(16)) * 2,
    "ascending": bytes(range(32)),
    "ascending from elsewhere": bytes(range(200, 232)),
    "descending": bytes(range(255, 223, -1)),
    "counting in steps": bytes((7 * i) % 256 for i in range(32)),
    "sorted": bytes(sorted(range(0, 256, 8))),
    "a passphrase": b"correct horse battery staple!!!!",
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_production_refuses_a_weak_master_key_in_one_line(key: bytes) -> None:
    encoded = base64.b64encode(key).decode()
    settings = Settings(env="production", master_key=encoded, issuer="https://x.example")
    with pytest.raises(ConfigurationError, match="WIJKDEEL_MASTER_KEY is weak") as error:
        settings.check_production()
    assert "\n" not in str(error.value) and encoded not in str(error.value)


@pytest.mark.parametrize("key", [bytes(32), bytes(range(32))], ids=["zero", "ascending"])
def test_development_still_accepts_a_weak_master_key(key: bytes) -> None:
    settings = Settings(env="development", master_key=base64.b64encode(key).decode())
    settings.check_production()
    assert settings.root_key() == key


def test_production_accepts_a_random_master_key() -> None:
    settings = Settings(env="production", master_key=MASTER_KEY, issuer="https://x.example")
    settings.check_production()
    # Each rule refuses a random key with a chance far below 1e-12: none of these may fail.
    assert [weakness(secrets.token_bytes(32)) for _ in range(10_000)] == [None] * 10_000
