"""A wijkdeel and a baseline on one backend, both seeded and serving, ready to be loaded side by
side; stopped and their databases dropped when the `with` block ends, whatever happens."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import databases, seed, server
from bench.seed import World
from bench.server import Service, Wijkdeel


@dataclass
class Stack:
    backend: str
    installation: Wijkdeel
    wijkdeel: Service
    world: World
    baseline: Service | None
    baseline_ids: list[str]
    baseline_db: databases.BenchDatabase | None = None

    def rows(self) -> dict[str, int]:
        """Rows in each side's table: what the 201s must add up to."""
        counts = {"wijkdeel": databases.count_rows(self.installation.db, "signals")}
        if self.baseline_db is not None:
            counts["baseline"] = databases.count_rows(self.baseline_db, "case_notes")
        return counts


def _say(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def wijkdeel_only(
    backend: str,
    workdir: Path,
    *,
    signals: int,
    name: str = "wijkdeel_bench",
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[Wijkdeel, Service, World]]:
    """A migrated, served and seeded wijkdeel on a fresh database of `backend`."""
    with contextlib.ExitStack() as cleanup:
        db = databases.create(backend, name, workdir)
        cleanup.callback(db.drop)
        installation = Wijkdeel(db, workdir / name, extra_env=extra_env or {})
        installation.migrate()
        service = installation.serve()
        cleanup.callback(service.stop)
        _say(f"{service.name} on {service.base}, pid {service.pid}; seeding {signals} signals")
        world = seed.world(installation, signals=signals)
        seed.check_read(world)
        yield installation, service, world


@contextlib.contextmanager
def side_by_side(
    backend: str, workdir: Path, *, signals: int, with_baseline: bool = True
) -> Iterator[Stack]:
    with contextlib.ExitStack() as cleanup:
        installation, service, world = cleanup.enter_context(
            wijkdeel_only(backend, workdir, signals=signals)
        )
        baseline, ids, baseline_db = None, [], None
        if with_baseline:
            db = baseline_db = databases.create(backend, "wijkdeel_bench_baseline", workdir)
            cleanup.callback(db.drop)
            ids = server.seed_baseline(db, signals)
            baseline = server.serve_baseline(db, workdir / "baseline")
            cleanup.callback(baseline.stop)
            _say(f"{baseline.name} on {baseline.base}, pid {baseline.pid}; {len(ids)} rows")
        yield Stack(backend, installation, service, world, baseline, ids, baseline_db)
