"""The served OpenAPI document passes the Dutch API Design Rules linter with 0 errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

RULESET = Path(__file__).resolve().parents[3] / "shared" / "lint" / "adr-ruleset.yaml"
LOCAL_RULESET = Path(__file__).resolve().parent / "adr-ruleset.yaml"


@pytest.mark.slow
def test_openapi_passes_the_adr_linter(client: TestClient, tmp_path: Path, db: object) -> None:
    if getattr(db, "is_sqlite", True) is False:
        pytest.skip("the document does not depend on the database; linted once")
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx (Node.js) is not installed")
    ruleset = RULESET if RULESET.exists() else LOCAL_RULESET
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(client.get("/v1/openapi.json").json()))
    result = subprocess.run(
        [
            npx,
            "--yes",
            "@stoplight/spectral-cli@6",
            "lint",
            "-r",
            str(ruleset),
            "-f",
            "json",
            "--quiet",
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip().startswith("["):
        pytest.skip(f"spectral could not run: {result.stderr.strip()[:200]}")
    errors = [problem for problem in json.loads(result.stdout) if problem["severity"] == 0]
    assert errors == [], json.dumps(errors, indent=1)[:4000]
