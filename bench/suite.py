"""`python -m bench [NAME …] [--quick]`: run the figures, print the table, keep the JSON.

Names: read insert profile token statements memory decisions audit webhooks rewrap soak
statistics (default: all).
Every server is started for the figure that needs it and stopped after it, every PostgreSQL
database the bench creates is dropped, and the run's temp dir is removed — also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

from bench import RESULTS, databases, load, report
from bench.report import Figure

NAMES = (
    "read",
    "insert",
    "profile",
    "token",
    "statements",
    "memory",
    "decisions",
    "audit",
    "webhooks",
    "rewrap",
    "soak",
    "statistics",
)
HTTP_NAMES = {"read", "insert", "profile", "token"}


@dataclass
class Options:
    names: tuple[str, ...]
    backends: tuple[str, ...]
    quick: bool
    seconds: float
    rounds: int
    warmup: float
    connections: int
    signals: int
    memory_seconds: float
    profile_seconds: float
    token_rounds: int
    token_ops: int
    decisions: int
    audit_events: int
    webhook_events: int
    webhook_timeout: float
    rewrap_keys: int
    soak_seconds: float
    statistics_signals: int
    results: Path
    keep: bool
    strict: bool


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="wijkdeel's benchmark suite (bench/README.md).",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {' '.join(NAMES)}")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~5 minutes)")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "all"),
        default="all",
        help="for the HTTP figures; all = SQLite, and PostgreSQL when reachable",
    )
    parser.add_argument("--seconds", type=float, help="length of one load round")
    parser.add_argument("--rounds", type=int, help="rounds per side for each ratio")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--soak-seconds", type=float, help="length of the soak (default 60 s, quick 15 s)"
    )
    parser.add_argument("--signals", type=int, help="signals seeded for the read figure")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--keep", action="store_true", help="keep the run's temp dir (logs)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; choose from {' '.join(NAMES)}")
    quick = args.quick
    backends: tuple[str, ...] = (
        ("sqlite", "postgresql") if args.backend == "all" else (args.backend,)
    )
    return Options(
        names=tuple(args.names) or NAMES,
        backends=backends,
        quick=quick,
        seconds=args.seconds or (2.0 if quick else 4.0),
        rounds=args.rounds or (2 if quick else 4),
        warmup=1.0 if quick else 2.0,
        connections=args.connections,
        signals=args.signals or (200 if quick else 1000),
        memory_seconds=1.0 if quick else 3.0,
        profile_seconds=4.0 if quick else 10.0,
        token_rounds=3 if quick else 5,
        token_ops=200 if quick else 1000,
        decisions=20_000 if quick else 100_000,
        audit_events=100_000 if quick else 1_000_000,
        webhook_events=1_000 if quick else 10_000,
        webhook_timeout=120.0 if quick else 300.0,
        rewrap_keys=10_000 if quick else 100_000,
        soak_seconds=args.soak_seconds or (15.0 if quick else 60.0),
        statistics_signals=100_000 if quick else 1_000_000,
        results=args.results,
        keep=args.keep,
        strict=args.strict,
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Run:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.workdir = Path(tempfile.mkdtemp(prefix="wijkdeel-bench-"))
        self.figures: list[Figure] = []
        self.postgres = databases.postgres_version()
        self.info = report.machine(self.postgres, databases.sqlite_version())
        self.profiles: list[str] = []

    def backends(self) -> list[str]:
        wanted = list(self.options.backends)
        if "postgresql" in wanted and self.postgres is None:
            _say(f"· PostgreSQL unreachable at {databases.POSTGRES_ADMIN_URL}: SQLite only")
            wanted.remove("postgresql")
        return wanted

    def add(self, figures: list[Figure]) -> None:
        for figure in figures:
            self.figures.append(figure)
            _say(f"  = {figure.figure}: {figure.measured} (target {figure.target}; {figure.met})")

    def guarded(self, name: str, produce: Callable[[], list[Figure]]) -> None:
        """One figure's failure is a row of the table, not the end of the run."""
        started = time.monotonic()
        try:
            self.add(produce())
        except KeyboardInterrupt:
            raise
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            self.add([Figure(name, f"error: {_brief(error)}", "", "error")])
        _say(f"  ({name}: {time.monotonic() - started:.0f} s)")

    # --- the figures ------------------------------------------------------------------------

    def http_figures(self, backend: str) -> list[Figure]:
        """Adds its figures one by one (a failed one does not cost the others); returns []."""
        from bench import crud, profiling, token_issue
        from bench.stack import side_by_side

        o = self.options
        names = set(o.names)
        needs_baseline = bool(names & {"read", "insert"})
        _say(f"\n▶ {backend}: wijkdeel and the baseline side by side")
        with side_by_side(
            backend, self.workdir, signals=o.signals, with_baseline=needs_baseline
        ) as stack:
            timing = {
                "rounds": o.rounds,
                "seconds": o.seconds,
                "warmup": o.warmup,
                "connections": o.connections,
            }
            if "read" in names:
                self.guarded(f"read ({backend})", lambda: crud.read_figures(stack, **timing))
            if "insert" in names:
                self.guarded(f"insert ({backend})", lambda: crud.insert_figures(stack, **timing))
            if "profile" in names:
                self.guarded(f"profile ({backend})", lambda: self._profiles(stack, profiling))
            if "token" in names:
                self.guarded(
                    f"token over HTTP ({backend})",
                    lambda: [
                        token_issue.over_http(
                            stack.world, backend, seconds=o.seconds, connections=o.connections
                        )
                    ],
                )
        return []

    def _profiles(self, stack: Any, profiling: Any) -> list[Figure]:
        from bench.load import LoadSpec

        world = stack.world
        specs = {
            "read": LoadSpec(
                "read",
                world.base,
                "/v1/signals/",
                ids=world.signal_ids,
                headers=world.reader_headers(),
            ),
            "insert": LoadSpec("insert", world.base, "/v1/signals", headers=world.writer_headers()),
        }
        figures = []
        o = self.options
        for op, spec in specs.items():
            spec.connections = o.connections
            label = "authorized GET /v1/signals/{id}" if op == "read" else "POST /v1/signals"
            title = (
                f"py-spy profile of `wijkdeel serve` under {label} load, {stack.backend}, "
                f"{o.connections} connections, {o.profile_seconds:.0f} s at 200 Hz"
            )
            made = []
            for mode in ("cpu", "wall"):
                out = o.results / f"profile-{op}-{stack.backend}-{mode}.txt"
                _, summary, _ = profiling.record(
                    stack.wijkdeel, spec, out, seconds=o.profile_seconds, title=title, mode=mode
                )
                self.profiles.append(str(summary))
                made.append(summary.name)
            figures.append(
                Figure(
                    f"profile: {label} ({stack.backend})",
                    ", ".join(made),
                    "(names the hot spots)",
                    "info",
                    None,
                    {"summaries": made},
                )
            )
        return figures

    def token_in_process(self) -> list[Figure]:
        from bench import token_issue

        o = self.options
        return [token_issue.in_process(rounds=o.token_rounds, count=o.token_ops)]

    def statements(self) -> list[Figure]:
        from bench import statements

        return [f for b in self.backends() for f in statements.figures(b, self.workdir)]

    def memory(self) -> list[Figure]:
        from bench import memory

        o = self.options
        return memory.figures(
            self.workdir,
            signals=o.signals // 2,
            seconds=o.memory_seconds,
            connections=o.connections,
        )

    def decisions(self) -> list[Figure]:
        from bench import decision_engine

        m = decision_engine.measure(decisions=self.options.decisions)
        target = decision_engine.TARGET_P99_US
        return [
            Figure(
                f"decision engine, {m['agreements']:.0f} agreements x 20 rules, "
                f"{m['consents'] / 1000:.0f}k consents",
                f"p99 {m['p99_us']:.1f} µs (p50 {m['p50_us']:.1f}, p99.9 {m['p999_us']:.1f}; "
                f"{m['decisions']:,.0f} decisions, {m['per_second']:,.0f}/s)",
                f"p99 ≤ {target:.0f} µs",
                "yes" if m["p99_us"] <= target else "no",
                None,
                m,
            )
        ]

    def audit(self) -> list[Figure]:
        try:
            from bench import audit_scale  # type: ignore[attr-defined]
        except ImportError:
            return [
                Figure(
                    "audit: chain verification; subject report and filtered query, 1M events",
                    "not available yet (bench/audit_scale.py missing)",
                    "≥ 200,000 events/s; ≤ 100 ms",
                    "n/a",
                )
            ]
        # audit_scale makes its own scratch database: a temporary SQLite file for url None, or
        # `wijkdeel_bench_audit` on the PostgreSQL server whose maintenance URL it is given.
        rows = []
        for backend in self.backends():
            url = databases.POSTGRES_ADMIN_URL if backend == "postgresql" else None
            rows += audit_scale.run(self.options.audit_events, url)
        return [_as_figure(row) for row in rows]

    def webhooks(self) -> list[Figure]:
        from bench import webhooks

        backend = "postgresql" if self.postgres else "sqlite"
        o = self.options
        return [
            webhooks.figure(
                backend, self.workdir, events=o.webhook_events, timeout=o.webhook_timeout
            )
        ]

    def rewrap(self) -> list[Figure]:
        from bench import rewrap

        return [
            rewrap.figure(b, self.workdir, count=self.options.rewrap_keys) for b in self.backends()
        ]

    def soak(self) -> list[Figure]:
        from bench import soak

        o = self.options
        return [
            soak.figure(
                b, self.workdir, seconds=o.soak_seconds, connections=64, signals=o.signals // 2
            )
            for b in self.backends()
        ]

    def statistics(self) -> list[Figure]:
        from bench import statistics

        # Like audit_scale: a temporary SQLite file, or a scratch database on the server.
        rows = []
        for backend in self.backends():
            url = databases.POSTGRES_ADMIN_URL if backend == "postgresql" else None
            rows += statistics.run(self.options.statistics_signals, url)
        return [
            Figure(
                f"statistics: {row['measure']} ({row['backend']}, {row['signals']:,} signals)",
                f"{row['value']:.3f} s ({row['cells']} cells)",
                row["target"],
                "yes" if row["met"] else "no",
                row["ratio"],
                dict(row),
            )
            for row in rows
        ]

    # --- the run ----------------------------------------------------------------------------

    def execute(self) -> None:
        o = self.options
        names = set(o.names)
        _say(f"wijkdeel bench: {' '.join(o.names)}{' (quick)' if o.quick else ''}")
        _say(f"machine: {report.describe(self.info)}")
        if names & {"read", "insert", "memory", "profile"}:
            tool = "wrk" if load.wrk_path() else "the asyncio client"
            _say(f"load generator: {tool}")
        if names & HTTP_NAMES:
            for backend in self.backends():
                self.guarded(f"HTTP figures ({backend})", lambda b=backend: self.http_figures(b))  # type: ignore[misc]
        if "token" in names:
            _say("\n▶ token issue in-process")
            self.guarded("token issue in-process", self.token_in_process)
        if "statements" in names:
            _say("\n▶ SQL statements and threadpool hops per request")
            self.guarded("statements", self.statements)
        if "memory" in names:
            _say("\n▶ memory of wijkdeel serve")
            self.guarded("memory", self.memory)
        if "decisions" in names:
            _say("\n▶ decision engine")
            self.guarded("decision engine", self.decisions)
        if "audit" in names:
            _say("\n▶ audit at scale")
            self.guarded("audit", self.audit)
        if "webhooks" in names:
            _say("\n▶ webhook deliveries")
            self.guarded("webhooks", self.webhooks)
        if "rewrap" in names:
            _say("\n▶ keys rewrap")
            self.guarded("rewrap", self.rewrap)
        if "soak" in names:
            _say("\n▶ soak: 64 connections, mixed reads and writes")
            self.guarded("soak", self.soak)
        if "statistics" in names:
            _say("\n▶ the policymaker's figures at scale")
            self.guarded("statistics", self.statistics)

    def close(self) -> None:
        leftovers = databases.drop_leftovers()
        if leftovers:
            _say(f"dropped leftover bench databases: {', '.join(leftovers)}")
        if self.options.keep:
            _say(f"run dir kept: {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _as_figure(row: dict[str, Any]) -> Figure:
    """A row of bench/audit_scale.py: backend, events, measure, value, unit, target, met."""
    met = row.get("met")
    value, unit = row.get("value"), row.get("unit", "")
    measured = f"{value:,.1f} {unit}" if isinstance(value, int | float) else str(value)
    events = row.get("events")
    scale = f", {events:,} events" if isinstance(events, int) else ""
    return Figure(
        f"audit: {row.get('measure', '?')} ({row.get('backend', '?')}{scale})",
        measured,
        str(row.get("target") or "(orientation)"),
        {True: "yes", False: "no"}.get(met, "info") if isinstance(met, bool | None) else str(met),
        None,
        dict(row),
    )


def _brief(error: Exception) -> str:
    """The first line of an error, and its last one (a failed command's actual complaint)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    first, last = lines[0].rstrip(":"), lines[-1]
    return first if first == last else f"{first}: …{last[-160:]}"


def _terminate(signum: int, _frame: object) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    run = Run(options)
    started = time.monotonic()
    interrupted = False
    try:
        run.execute()
    except KeyboardInterrupt:
        interrupted = True
        _say("\ninterrupted: stopping servers and dropping the bench databases")
    finally:
        run.close()
    run.info["loadavg_end"] = report.loadavg()
    run.info["duration_s"] = round(time.monotonic() - started)
    print(
        f"\nHTTP figures: one server process each, {options.connections} connections, "
        f"{options.rounds} rounds of {options.seconds:g} s per side alternating baseline/wijkdeel"
    )
    print(report.table(run.figures))
    ratios = report.ratios(run.figures)
    if ratios:
        print("\nratios (median of per-round ratios, rounds alternating baseline/wijkdeel):")
        print(ratios)
    print(f"\nmachine: {report.describe(run.info)}")
    print(f"took {run.info['duration_s']} s")
    if run.profiles:
        print("profiles: " + ", ".join(run.profiles))
    if run.figures:
        path = report.save(options.results, run.figures, run.info, _jsonable(asdict(options)))
        print(f"results: {path}")
    if interrupted:
        return 130
    missed = [f for f in run.figures if f.met in ("no", "error")]
    return 1 if options.strict and missed else 0


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
