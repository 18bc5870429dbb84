"""People for tests, made through the same functions the CLI uses."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp

from core.clock import FrozenClock
from people import accounts
from wijkdeel.runtime import Runtime

PASSWORD = "correct horse battery staple"


@dataclass
class TestPerson:
    __test__ = False
    id: str
    username: str
    role: str
    password: str
    totp_secret: str

    def code(self, clock: FrozenClock) -> str:
        return pyotp.TOTP(self.totp_secret).at(clock.now)


def make_person(
    runtime: Runtime,
    *,
    username: str = "anna",
    role: str = "admin",
    name: str | None = None,
    password: str = PASSWORD,
    must_change: bool = False,
    oidc: tuple[str, str] | None = None,
    local: bool = True,
) -> TestPerson:
    keyring = runtime.keyrings.get()
    password_hash = runtime.hasher.hash(password)
    with runtime.db.session() as session:
        person = accounts.add_person(
            session,
            username=username,
            display_name=name or username.title(),
            role=role,
            now=runtime.now(),
        )
        secret = ""
        if local:
            secret = accounts.set_local_credentials(
                session,
                person,
                password=password,
                password_hash=password_hash,
                must_change=must_change,
                keyring=keyring,
                now=runtime.now(),
            ).totp_secret
        if oidc is not None:
            accounts.link_oidc(session, person, issuer=oidc[0], subject=oidc[1], now=runtime.now())
        return TestPerson(person.id, person.username, role, password, secret)
