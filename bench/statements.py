"""SQL statements, commits and threadpool hops per request: figures the noise of a shared machine
cannot move.

The same app `wijkdeel serve` runs (`api.app.create_app` on a runtime built from the same
settings), in-process behind a TestClient, on a migrated database of its own, seeded through the
public surface; an engine event counts every statement (by its first word) and every commit
while 20 authorized reads and 20 inserts run one by one; a wrapper around
`anyio.to_thread.run_sync` counts the hops to the threadpool (FastAPI makes one for every sync
`def` dependency and endpoint, two for a generator dependency). The baseline is counted the same
way (`python -m bench.baseline count`, on a database of its own).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import databases, seed, server
from bench.load import elfproef_bsn, signal_body
from bench.report import Figure
from bench.server import Wijkdeel

REQUESTS = 20
Counts = tuple[float, float, dict[str, float], float]


@contextlib.contextmanager
def count_hops(hops: list[int]) -> Iterator[None]:
    """Count calls of `anyio.to_thread.run_sync` (how Starlette and FastAPI reach the pool)."""
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def counted(*args: Any, **kwargs: Any) -> Any:
        hops[0] += 1
        return await original(*args, **kwargs)

    anyio.to_thread.run_sync = counted  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original


def _settings(installation: Wijkdeel) -> Any:
    from wijkdeel.settings import Settings

    env = installation.env()
    return Settings(
        database_url=env["WIJKDEEL_DATABASE_URL"],
        master_key=env["WIJKDEEL_MASTER_KEY"],
        issuer=env["WIJKDEEL_ISSUER"],
        var_dir=Path(env["WIJKDEEL_VAR_DIR"]),
        token_ttl=int(env["WIJKDEEL_TOKEN_TTL"]),
        rate_limit=float(env["WIJKDEEL_RATE_LIMIT"]),
        rate_burst=int(env["WIJKDEEL_RATE_BURST"]),
    )


def figures(backend: str, workdir: Path) -> list[Figure]:
    import random

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from api.app import create_app
    from wijkdeel.runtime import build_runtime

    with contextlib.ExitStack() as cleanup:
        db = databases.create(backend, "wijkdeel_bench_statements", workdir)
        cleanup.callback(db.drop)
        installation = Wijkdeel(db, workdir / f"statements-{backend}")
        installation.migrate()
        runtime = build_runtime(_settings(installation))
        cleanup.callback(runtime.close)
        client = cleanup.enter_context(TestClient(create_app(runtime), base_url=installation.base))
        world = seed.world(installation, signals=REQUESTS, http=client)
        statements: Counter[str] = Counter()
        commits = 0

        last: list[str] = []  # the statements of the latest request, for the JSON

        def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
            statements[sql.lstrip().split(None, 1)[0].upper()] += 1
            last.append(" ".join(sql.split())[:160])

        def commit(_conn: Any) -> None:
            nonlocal commits
            commits += 1

        hops = [0]
        samples: dict[str, list[str]] = {}
        cleanup.enter_context(count_hops(hops))
        engines = {runtime.db.engine, runtime.db.read_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
            event.listen(engine, "commit", commit)

        def measure(op: str) -> Counts:
            nonlocal commits
            statements.clear()
            commits = 0
            hops[0] = 0
            rng = random.Random(5)
            for n in range(REQUESTS):
                last.clear()
                if op == "read":
                    url = f"{world.base}/v1/signals/{world.signal_ids[n]}"
                    answer = client.get(url, headers=world.reader_headers())
                    expected = 200
                else:
                    headers = {**world.writer_headers(), "Content-Type": "application/json"}
                    body = signal_body(elfproef_bsn(rng, first=5))
                    answer = client.post(f"{world.base}/v1/signals", content=body, headers=headers)
                    expected = 201
                if answer.status_code != expected:
                    raise RuntimeError(f"{op}: {answer.status_code} {answer.text[:300]}")
            total = sum(statements.values())
            kinds = {k: round(v / REQUESTS, 1) for k, v in statements.most_common()}
            samples[op] = list(last)
            return total / REQUESTS, commits / REQUESTS, kinds, hops[0] / REQUESTS

        read, insert = measure("read"), measure("insert")
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
            event.remove(engine, "commit", commit)
        other = databases.create(backend, "wijkdeel_bench_statements_baseline", workdir)
        cleanup.callback(other.drop)
        counted = json.loads(server.baseline_command(other, "count", REQUESTS))
        baseline = {
            op: (c["per_request"], c["commits"], c["kinds"], c["hops"]) for op, c in counted.items()
        }

    def describe(result: Counts) -> str:
        per, commits_per, kinds, hops_per = result
        shown = ", ".join(f"{v:g} {k}" for k, v in kinds.items())
        return f"{per:g} SQL ({shown}), {commits_per:g} commit, {hops_per:g} threadpool hops"

    return [
        Figure(
            f"SQL and threadpool hops per authorized GET /v1/signals/{{id}} ({backend})",
            describe(read),
            f"(orientation) baseline: {describe(baseline['read'])}",
            "info",
            None,
            {
                "per_request": read[0],
                "commits": read[1],
                "kinds": read[2],
                "threadpool_hops": read[3],
                "statements_of_one_request": samples["read"],
                "baseline": counted["read"],
            },
        ),
        Figure(
            f"SQL and threadpool hops per POST /v1/signals ({backend})",
            describe(insert),
            f"(orientation) baseline: {describe(baseline['insert'])}",
            "info",
            None,
            {
                "per_request": insert[0],
                "commits": insert[1],
                "kinds": insert[2],
                "threadpool_hops": insert[3],
                "statements_of_one_request": samples["insert"],
                "baseline": counted["insert"],
            },
        ),
    ]
