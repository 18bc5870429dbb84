"""Settings: production refuses to start without what it needs; development makes a key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import MASTER_KEY
from wijkdeel.settings import ConfigurationError, Settings


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
