"""`python -m bench soak`: a mixed read/write workload at 64 connections for a bounded time.

The question: does anything stall or fail when many partners read and write at once? (The first
release froze SQLite for 30 s with two clients, and starved PostgreSQL's pool with 40 reads.)
One `wijkdeel serve` per backend, seeded as for the read figure, is loaded from a second
process with authorized reads, sends about fresh children and handling-status changes by the
recipient (PATCH, 200 or 409) — 60/20/20. Printed: requests, errors (5xx, timeouts, refused
connections; target 0), p50/p99/max latency, and the event loop's longest stall as the server
itself measured it (`wijkdeel_event_loop_stall_seconds_max` in /metrics).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx

from bench import load
from bench.load import LoadResult, LoadSpec
from bench.report import Figure
from bench.stack import wijkdeel_only

STALL = re.compile(r"^wijkdeel_event_loop_stall_seconds_max\s+([0-9.eE+-]+)$", re.MULTILINE)
EXPECTED = {"200", "201", "409"}


def longest_stall(base: str) -> float | None:
    """The server's own measure (seconds), from its /metrics on loopback."""
    answer = httpx.get(f"{base}/metrics", timeout=10)
    found = STALL.search(answer.text) if answer.status_code == 200 else None
    return float(found.group(1)) if found else None


def failures(result: LoadResult) -> dict[str, int]:
    """Everything that is not an expected answer: 5xx and other statuses, timeouts, refusals."""
    unexpected = {f"status {s}": n for s, n in result.statuses.items() if s not in EXPECTED}
    transport = {k: v for k, v in result.errors.items() if k != "non_2xx"}
    return unexpected | transport


def figure(
    backend: str, workdir: Path, *, seconds: float, connections: int, signals: int
) -> Figure:
    with wijkdeel_only(backend, workdir, signals=signals, name="wijkdeel_bench_soak") as (
        _,
        service,
        world,
    ):
        spec = LoadSpec(
            "soak",
            world.base,
            "/v1/signals/",
            seconds=seconds,
            connections=connections,
            ids=world.signal_ids,
            headers=world.reader_headers(),
            write_path="/v1/signals",
            write_headers=world.writer_headers(),
            write_share=0.2,
            force_asyncio=True,
        )
        before = longest_stall(service.base)
        result = load.run(spec)
        stall = longest_stall(service.base)
        print(f"    longest stall before the soak {before} s, after it {stall} s", file=sys.stderr)
    failed = failures(result)
    errors = sum(failed.values())
    stall_text = f"{stall * 1000:.0f} ms" if stall is not None else "unknown"
    return Figure(
        f"soak: {connections} connections, reads/sends/status changes, {seconds:.0f} s ({backend})",
        f"{errors} errors in {result.requests:,} requests ({result.rps:,.0f}/s); "
        f"p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, max {result.max_ms:.0f} ms; "
        f"longest event-loop stall {stall_text}",
        "0 errors; no request near a timeout",
        "yes" if errors == 0 else "no",
        None,
        {
            "statuses": result.statuses,
            "failures": failed,
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "max_ms": result.max_ms,
            "stall_s": stall,
        },
    )
