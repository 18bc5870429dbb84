"""The README, as a newcomer uses it: the files it names exist, and its recipes work as written
against a served installation (`make run`'s steps, on a free port instead of 8000)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
BIN = Path(sys.executable).parent

# Files the README's commands create, rather than files it points to.
PRODUCED = {"anchors.txt", "audit.ndjson", "denials.csv", "inzage.csv"}


def _blocks() -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", README, re.S | re.M)


def block(containing: str) -> str:
    """The one fenced block of the README that holds `containing`."""
    found = [text for text in _blocks() if containing in text]
    assert len(found) == 1, f"{len(found)} README blocks hold {containing!r}"
    return found[0]


def test_every_file_the_readme_names_exists() -> None:
    links = re.findall(r"\]\((?!https?://|#)([^)\s]+)\)", README)
    spans = re.findall(r"`([^`\s]+)`", README)
    words = re.findall(r"[\s(]((?:examples|docs|tests|bench|api|audit|records)/[\w./-]+)", README)
    named = {
        name.rstrip(".,:;")
        for name in [*links, *spans, *words]
        if re.fullmatch(r"[\w.-]+(/[\w.-]+)*/?\.?\w*", name)
        and ("/" in name or re.search(r"\.(md|ya?ml|py|mjs|json|toml)$", name))
        and not name.startswith(("var/", "/", ".well-known", "v1/"))
    }
    missing = sorted(name for name in named if name not in PRODUCED and not (REPO / name).exists())
    assert "examples/convenant-noord.yaml" in named and "docs/API.md" in named
    assert missing == [], missing


def test_the_demo_covenant_is_the_contract_example() -> None:
    from api.schemas.agreements import EXAMPLE

    assert yaml.safe_load((REPO / "examples" / "convenant-noord.yaml").read_text()) == EXAMPLE


def test_docs_api_md_is_the_contract() -> None:
    shared = REPO.parent / "shared" / "API.md"
    if not shared.exists():
        pytest.skip("no shared/API.md beside this checkout to compare with")
    assert (REPO / "docs" / "API.md").read_text() == shared.read_text(), (
        "docs/API.md differs from the contract: cp ../shared/API.md docs/API.md"
    )


def documents(text: str) -> list[object]:
    """The JSON values in a command's output (curl prints them without a newline between)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at] in "{[":
            value, at = decoder.raw_decode(text, at)
            found.append(value)
        else:
            at += 1
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Installation:
    home: Path
    port: int
    env: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def local(self, text: str) -> str:
        """A README command aimed at this installation's port instead of 8000."""
        return text.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")

    def bash(self, script: str, timeout: float = 120) -> str:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"{script}\n--- stderr:\n{done.stderr}"
        return done.stdout

    def credentials(self, who: str) -> dict[str, str]:
        answer: dict[str, str] = json.loads(
            (self.home / "var" / "demo-credentials.json").read_text()
        )[who]
        return answer


def _make_run_steps() -> list[str]:
    """The commands of the Makefile's `run` target, with its variables filled in."""
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^run: install\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has no `run: install` target"
    return [line.strip().replace("$(BIN)/", "") for line in recipe.group(1).splitlines()]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    home = tmp_path_factory.mktemp("readme")
    shutil.copytree(
        REPO / "examples", home / "examples", ignore=shutil.ignore_patterns("node_modules")
    )
    (home / ".venv").symlink_to(REPO / ".venv")
    env = {
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "HOME": str(home),
        # The demo's secrets need not resist brute force here, and the suite has 2 cores.
        "WIJKDEEL_SECRET_HASH_MEMORY_KIB": "64",
        "WIJKDEEL_SECRET_HASH_TIME_COST": "1",
        "WIJKDEEL_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    installation = Installation(home, _free_port(), env)
    *setup, serve = _make_run_steps()
    assert setup == ["wijkdeel migrate", "wijkdeel demo --seed-only"]
    for command in setup:
        installation.bash(command)
    serve = serve.replace("$(HOST)", "127.0.0.1").replace("$(PORT)", str(installation.port))
    server = subprocess.Popen(
        ["bash", "-c", f"exec {serve}"],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{installation.base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield installation
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
@pytest.mark.xdist_group("readme")
def test_curl_recipes_and_a_local_webhook(served: Installation) -> None:
    receiver_port = _free_port()
    subscribe = block('"url": "http://127.0.0.1:9000/webhooks/wijkdeel"')
    receiver = 'examples/webhook_receiver.py --port 9000 --secret "$SECRET"'
    assert receiver in subscribe
    # The receiver runs in the background here, where the README gives it a terminal.
    subscribe = subscribe.replace(receiver, f"{receiver} > receiver.log 2>&1 &\nsleep 1")
    script = "\n".join(
        [
            block("SECRET=$(jq -r .wijkteam.clientSecret var/demo-credentials.json)"),
            subscribe.replace("9000", str(receiver_port)),
            block('KW=$(curl -s -u "$(jq -r'),
        ]
    )
    out = served.bash(served.local(script) + "\nsleep 3\ncat receiver.log\nkill %1")
    me, signals, created, *delivered = documents(out)
    assert isinstance(me, dict) and isinstance(signals, dict) and isinstance(created, dict)
    assert me["partner"] == "wijkteam-noord" and me["purpose"] == "signalering"
    assert signals["items"] == []
    assert created["recipients"] == ["wijkteam-noord"]
    assert [event["type"] for event in delivered] == ["signal.created"]  # type: ignore[index]
    assert delivered[0]["data"]["signalId"] == created["id"]  # type: ignore[index]
    assert "111222333" not in json.dumps(delivered)


@pytest.mark.slow
@pytest.mark.xdist_group("readme")
def test_authlib_recipes(served: Installation) -> None:
    register = block("openssl genpkey -algorithm EC")
    registered = served.bash(register)
    client_id = re.search(r"client id:\s+(cl_\w+)", registered)
    assert client_id, registered
    by_key = served.local(block('OAuth2Client("cl_…", key')).replace("cl_…", client_id[1])
    answer = served.bash(f"python - <<'PY'\n{by_key}PY")
    assert client_id[1] in answer and "signalering" in answer

    kinderwerk = served.credentials("kinderwerk")
    by_secret = block('OAuth2Client("cl_…", "wds_…")')
    by_secret = served.local(by_secret).replace("cl_…", kinderwerk["clientId"])
    answer = served.bash(
        f"python - <<'PY'\n{by_secret.replace('wds_…', kinderwerk['clientSecret'])}PY"
    )
    assert kinderwerk["clientId"] in answer and "kinderwerk-noord" in answer


@pytest.mark.slow
@pytest.mark.xdist_group("readme")
def test_node_recipe(served: Installation) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed")
    if not (served.home / "kinderwerk-noord.pem").exists():
        served.bash(block("openssl genpkey -algorithm EC"))
    registered = served.bash(
        "wijkdeel clients create kinderwerk-noord --jwk kinderwerk-noord.jwk.json"
    )
    client_id = re.search(r"client id:\s+(cl_\w+)", registered)
    assert client_id
    commands = block("cd examples/node && npm ci")
    install, run_script = commands.split("\n", 1)
    try:
        served.bash(install + " --no-audit --no-fund", timeout=300)
    except AssertionError as error:
        pytest.skip(f"npm ci could not install openid-client: {str(error)[-300:]}")
    run_script = run_script.replace("cl_…", client_id[1])
    out = served.bash(f"cd examples/node\nexport WIJKDEEL_URL={served.base}\n{run_script}")
    me = json.loads(out)
    assert me["clientId"] == client_id[1] and me["purpose"] == "signalering"


@pytest.mark.slow
@pytest.mark.xdist_group("readme")
def test_audit_export_recipes(served: Installation) -> None:
    search = block("AUDITOR=$(curl -s -u")
    check = block("python3 - audit.ndjson <<'PY'")
    out = served.bash(served.local(search) + "\n" + check)
    page = documents(out)[0]
    assert isinstance(page, dict) and "items" in page
    assert out.rstrip().endswith("every event hashes to its hash, and each links to the one before")
    denials = (served.home / "denials.csv").read_text().splitlines()
    assert denials[0].split(",")[:2] == ["seq", "id"]  # the header row, and a row per denial
    assert len((served.home / "audit.ndjson").read_text().splitlines()) > 5


@pytest.mark.slow
def test_make_demo_walks_the_story_on_a_fresh_installation_of_its_own(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    stale = tmp_path / "var" / "demo"
    stale.mkdir(parents=True)
    (stale / "wijkdeel.db").write_text("not a database")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        # An installation the environment points at is not the demo's to touch.
        "WIJKDEEL_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/production",
        "WIJKDEEL_MASTER_KEY": "not-this-one",
        "WIJKDEEL_SECRET_HASH_MEMORY_KIB": "64",
        "WIJKDEEL_SECRET_HASH_TIME_COST": "1",
    }
    walked = subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "demo", f"BIN={BIN}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert walked.returncode == 0, walked.stderr
    assert '"reasons": ["consent_required"]' in walked.stdout and '"valid": true' in walked.stdout
    assert (stale / "master.key").exists() and (stale / "demo-credentials.json").exists()
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == ["demo"]


@pytest.mark.slow
@pytest.mark.xdist_group("readme")
def test_the_access_report_recipe(served: Installation) -> None:
    """Kinderwerk sends a signal, then asks what it has about the child, as JSON and as the
    page for the parent."""
    send = block('KW=$(curl -s -u "$(jq -r')
    report = block("/v1/subject-access -H")
    created, *items = documents(served.bash(served.local(f"{send}\n{report}")))
    assert isinstance(created, dict) and items
    for item in items:
        assert isinstance(item, dict)
        assert item["sender"] == "Kinderwerk Noord" and item["dataCategories"]
        assert item["purposes"][0]["word"] == "signalering"
        assert item["recipients"] == ["Wijkteam Noord"]
        assert item["informing"]["status"] in ("unknown", "pending")  # pending once recorded
        assert item["accessHistory"][0]["events"][0]["action"] == "signal.create"
    assert served.bash("head -c 15 inzage-ouder.html") == "<!doctype html>"
