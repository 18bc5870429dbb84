"""TOTP (RFC 6238): the current code and its neighbours are good once, nothing else is."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from people import totp
from records.keyring import Keyring, SealError

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 12, 1, 12, 0, 15, tzinfo=UTC)


def test_rfc_6238_sha1_vector() -> None:
    # RFC 6238 appendix B: secret "12345678901234567890", T = 59 s, SHA-1, 8 digits: 94287082.
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert pyotp.TOTP(secret, digits=8).at(59) == "94287082"
    assert totp.step_at(datetime.fromtimestamp(59, UTC)) == 1
    six = pyotp.TOTP(secret).at(59)
    assert totp.accepted_step(secret, six, now=datetime.fromtimestamp(59, UTC), last_step=None) == 1


def test_the_current_code_is_accepted_once() -> None:
    code = pyotp.TOTP(SECRET).at(NOW)
    step = totp.accepted_step(SECRET, code, now=NOW, last_step=None)
    assert step == totp.step_at(NOW)
    assert totp.accepted_step(SECRET, code, now=NOW, last_step=step) is None


def test_a_neighbouring_step_is_accepted_but_no_further() -> None:
    for offset, accepted in ((-2, False), (-1, True), (1, True), (2, False)):
        code = pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30 * offset))
        found = totp.accepted_step(SECRET, code, now=NOW, last_step=None)
        assert (found is not None) == accepted, offset


def test_a_code_older_than_the_last_accepted_one_is_refused() -> None:
    previous = pyotp.TOTP(SECRET).at(NOW - timedelta(seconds=30))
    assert totp.accepted_step(SECRET, previous, now=NOW, last_step=totp.step_at(NOW)) is None


@given(st.text(max_size=12))
def test_junk_is_never_accepted(offered: str) -> None:
    valid = {pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    found = totp.accepted_step(SECRET, offered, now=NOW, last_step=None)
    assert found is None or offered.strip().replace(" ", "") in valid


def test_the_secret_is_sealed_to_its_person() -> None:
    keyring = Keyring(bytes(32), {1: bytes(range(32))})
    version, blob = totp.seal(keyring, "ps_one", SECRET)
    assert SECRET.encode() not in blob
    assert totp.open_secret(keyring, "ps_one", version, blob) == SECRET
    with pytest.raises(SealError):
        totp.open_secret(keyring, "ps_other", version, blob)
