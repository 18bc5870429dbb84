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


def test_development_generates_a_private_master_key(tmp_path: Path) -> None:
    settings = Settings(env="development", var_dir=tmp_path / "var")
    key = settings.root_key()
    path = tmp_path / "var" / "master.key"
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.root_key() == key


@pytest.mark.parametrize("value", ["not base64!", "c2hvcnQ="])
def test_bad_master_keys_are_refused_in_one_line(value: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        Settings(master_key=value).root_key()
    assert "\n" not in str(error.value) and value not in str(error.value)
