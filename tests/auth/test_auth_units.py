"""auth/ beneath HTTP: roles as the type says, token verification cached but expiry checked on
every use, client authentication in two steps (the slow one outside any transaction), and
rate limits shared between processes."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from api.ratelimit import MemoryLimiter
from auth import jwt
from auth.clients import OAuthError
from auth.scopes import ScopeError, client_role, grant
from core.clock import FrozenClock
from tests.factories import Credentials, bootstrap_admin
from wijkdeel.runtime import Runtime


def test_roles_are_checked_words() -> None:
    assert client_role("auditor") == "auditor"
    with pytest.raises(ScopeError):
        client_role("superuser")
    assert grant("partner", "signals:read") == ("signals:read",)
    with pytest.raises(ScopeError):
        grant("partner", "admin")


def test_a_cached_token_still_expires(runtime: Runtime, clock: FrozenClock) -> None:
    from auth import tokens

    admin = bootstrap_admin(runtime)
    with Session(runtime.db.engine) as session:
        from records.models import Client, Partner

        client = session.get(Client, admin.client_id)
        partner = session.get(Partner, admin.partner)
        assert client is not None and partner is not None
        granted = tokens.issue(
            client,
            partner,
            scope=None,
            purpose=None,
            allowed_purposes=lambda: (),
            keys=runtime.signing_keys,
            issuer=runtime.settings.issuer,
            audience=runtime.settings.audience,
            ttl=60,
            now=clock(),
        )
    verifier = runtime.verifier
    assert not verifier.knows(granted.access_token)
    assert verifier.verify(granted.access_token, clock())["client_id"] == admin.client_id
    assert verifier.knows(granted.access_token)
    clock.advance(seconds=60 + tokens.LEEWAY_SECONDS + 1)
    with pytest.raises(jwt.TokenError):
        verifier.verify(granted.access_token, clock())


def test_a_secret_is_checked_outside_the_lookup(runtime: Runtime) -> None:
    admin: Credentials = bootstrap_admin(runtime)
    authenticator = runtime.authenticator
    with Session(runtime.db.engine) as session:
        right = authenticator.present(
            session, authorization=_basic(admin.client_id, admin.secret or ""), form={},
            endpoint="x", now=runtime.now(),
        )  # fmt: skip
        unknown = authenticator.present(
            session, authorization=_basic("cl_nobody", "guess"), form={}, endpoint="x",
            now=runtime.now(),
        )  # fmt: skip
    # Looking up is cheap and decides nothing about a secret ...
    assert right.secret == admin.secret and unknown.client is None
    authenticator.check_secret(right)  # ... the slow check does, outside any transaction
    for refused in (unknown, type(right)(right.client, right.partner, secret="wrong",
                                         stored_hash=right.stored_hash)):  # fmt: skip
        with pytest.raises(OAuthError) as error:
            authenticator.check_secret(refused)
        assert error.value.error == "invalid_client"


def _basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_each_process_takes_its_share_of_a_limit() -> None:
    processes = 1
    limiter = MemoryLimiter(rate=0.001, burst=6, share=lambda: processes)
    assert sum(limiter.take(f"a{i % 1}") is None for i in range(10)) == 6
    processes = 3
    limiter = MemoryLimiter(rate=0.001, burst=6, share=lambda: processes)
    assert sum(limiter.take("b") is None for _ in range(10)) == 2
