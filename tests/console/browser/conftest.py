"""Browser tests: Debian's Chromium driven by Playwright, against wijkdeel served by uvicorn in
a thread (so its runtime runs on the tests' FrozenClock) and a real OpenID Provider
(node-oidc-provider, tests/oidc/) started once per test worker.

Only tests marked `all_backends` (sign-in and session storage) run on PostgreSQL too; the rest
are deselected there, which keeps the browser suite short.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from api.app import create_app
from core.clock import FrozenClock
from tests.conftest import settings_for_tests
from tests.people.factories import TestPerson
from wijkdeel.runtime import Runtime
from wijkdeel.settings import Settings

CHROMIUM = os.environ.get("WIJKDEEL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROVIDER_DIR = Path(__file__).parents[2] / "oidc"
# The README's pictures: written to docs/screenshots/ by `make screenshots`
# (WIJKDEEL_SCREENSHOTS=1); an ordinary run takes them too, into a temporary folder, so that a
# test run leaves the work tree as it was.
SCREENSHOTS = (
    Path(__file__).parents[3] / "docs" / "screenshots"
    if os.environ.get("WIJKDEEL_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"wijkdeel-screenshots-{os.getpid()}"
)
CLIENT_SECRET = "wijkdeel-test-secret"
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
AXE = Axe()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    keep, drop = [], []
    for item in items:
        on_postgres = "[postgresql" in item.nodeid
        if (
            str(item.path).startswith(here)
            and on_postgres
            and not item.get_closest_marker("all_backends")
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def listening() -> Iterator[socket.socket]:
    """wijkdeel's address for the whole run: the provider must know the redirect URI before
    wijkdeel starts, and each test's server takes its turn on this one socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    yield sock
    sock.close()


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="session")
def oidc_provider(listening: socket.socket) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the OpenID Provider of the browser tests")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True, timeout=300
        )
    process = subprocess.Popen(
        [node, "provider.mjs"],
        cwd=PROVIDER_DIR,
        env={
            **os.environ,
            "REDIRECT_URI": f"{base_url(listening)}/console/sign-in/oidc/callback",
            "CLIENT_SECRET": CLIENT_SECRET,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the provider prints its issuer once it serves
    if not line.startswith("issuer "):
        process.kill()
        pytest.fail(f"the OpenID Provider did not start: {line!r}")
    yield Provider(line.split()[1], process)
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


@pytest.fixture
def settings(tmp_path: Path, listening: socket.socket, oidc_provider: Provider) -> Settings:
    return settings_for_tests(
        tmp_path / "var",
        issuer=base_url(listening),
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="wijkdeel",
        oidc_client_secret=CLIENT_SECRET,
        oidc_label="Inloggen via de gemeente",
    )


class LiveServer:
    def __init__(self, runtime: Runtime, sock: socket.socket) -> None:
        self.url = base_url(sock)
        config = uvicorn.Config(
            create_app(runtime), log_level="warning", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock.dup()]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("wijkdeel did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live(runtime: Runtime, listening: socket.socket) -> Iterator[LiveServer]:
    with LiveServer(runtime, listening) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does this)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page, and everything it tried that a strict page must not: requests to other hosts,
    Content-Security-Policy violations, script errors."""

    page: Page
    origin: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.foreign == [], self.foreign
        assert self.errors == [], self.errors


def watch(context: BrowserContext, origin: str, allowed: tuple[str, ...] = ()) -> Watched:
    page = context.new_page()
    watched = Watched(page, origin)

    def on_request(request: object) -> None:
        url: str = request.url  # type: ignore[attr-defined]
        if not url.startswith((origin, "data:", *allowed)):
            watched.foreign.append(url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched


@pytest.fixture
def context(browser: Browser, live: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=live.url, locale="nl-NL", viewport={"width": 1280, "height": 800}
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.1 A or AA violation on the page as it stands."""
    results = AXE.run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in_locally(page: Page, person: TestPerson, clock: FrozenClock) -> None:
    page.goto("/console")
    page.get_by_label("Gebruikersnaam", exact=True).fill(person.username)
    page.get_by_label("Wachtwoord", exact=True).fill(person.password)
    page.get_by_label("Code uit uw authenticator-app", exact=True).fill(person.code(clock))
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
