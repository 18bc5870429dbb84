"""Memory of `wijkdeel serve`: resident set (VmRSS from /proc) right after start — once it has
answered its first authorized read — and after each of 10 load rounds of mixed reads and inserts
(80/20) at 16 connections, on a fresh SQLite installation (the default a user gets)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from bench import databases, load, seed
from bench.load import LoadSpec
from bench.report import Figure
from bench.server import Wijkdeel

LIMIT_MIB = 150.0
GROWTH_LIMIT = 0.10
ROUNDS = 10


def figures(workdir: Path, *, signals: int, seconds: float, connections: int) -> list[Figure]:
    with contextlib.ExitStack() as cleanup:
        db = databases.create("sqlite", "wijkdeel_bench_memory", workdir)
        cleanup.callback(db.drop)
        installation = Wijkdeel(db, workdir / "memory")
        installation.migrate()
        service = installation.serve()
        cleanup.callback(service.stop)
        served_rss = service.rss_mib()  # it has answered /health
        world = seed.world(installation, signals=1)
        seed.check_read(world)
        start_rss = service.rss_mib()  # and its first authorized read
        world.signal_ids += seed.send_signals(world, signals)
        spec = LoadSpec(
            "mixed",
            world.base,
            "/v1/signals/",
            seconds=seconds,
            connections=connections,
            ids=world.signal_ids,
            headers=world.reader_headers(),
            write_path="/v1/signals",
            write_headers=world.writer_headers(),
            write_share=0.2,
        )
        after = []
        for n in range(ROUNDS):
            result = load.run(spec)
            after.append(service.rss_mib())
            print(
                f"    memory round {n + 1}/{ROUNDS}: {result.brief()}; RSS {after[-1]:.1f} MiB",
                file=sys.stderr,
                flush=True,
            )
    growth = after[-1] / start_rss - 1
    steady = after[-1] / after[0] - 1
    return [
        Figure(
            "wijkdeel serve RSS after start and a first read (SQLite)",
            f"{start_rss:.1f} MiB (idle after start: {served_rss:.1f} MiB)",
            f"≤ {LIMIT_MIB:.0f} MB",
            "yes" if start_rss <= LIMIT_MIB else "no",
            None,
            {"rss_idle_after_start_mib": served_rss, "rss_after_first_read_mib": start_rss},
        ),
        Figure(
            f"wijkdeel serve RSS growth over {ROUNDS} load rounds (80/20 read/insert)",
            f"{growth:+.1%} ({start_rss:.1f} → {after[-1]:.1f} MiB; "
            f"after round 1 → {ROUNDS}: {steady:+.1%})",
            f"≤ +{GROWTH_LIMIT:.0%}",
            "yes" if growth <= GROWTH_LIMIT else "no",
            growth,
            {
                "rss_after_each_round_mib": [round(x, 1) for x in after],
                "growth_from_round_1": steady,
            },
        ),
    ]
