"""Where the time goes: `py-spy record` of the running `wijkdeel serve` under load.

py-spy samples the server process from outside (no change to it; every thread, since sync
endpoints run in the threadpool) and writes collapsed stacks (`--format raw`; open them in
speedscope.app or flamegraph.pl). Two recordings per load:
- `cpu` (`--gil`): only the thread holding the GIL — where the one process's Python CPU goes;
- `wall` (`--idle --nonblocking`): every thread, waiting included — where requests *wait* (a
  pooled connection, a lock, the database); threads with no wijkdeel frame that only wait for
  work are left out.
The summary beside each names the hot spots several ways:
- owner: the nearest wijkdeel function above each sample (or the framework layer, when
  fastapi/starlette/pydantic sit between), i.e. which part of *our* code to make cheaper;
- owner area: the same by package (api, auth, records, signals, audit, policies, framework);
- leaf package: what code the CPU is actually in (sqlalchemy, pydantic, jose, cryptography, …);
- top self time by function, and total (inclusive) time of wijkdeel's functions.
pyinstrument is not a fallback here: it profiles only the thread that starts it, and sync
endpoints run in other threads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bench import load
from bench.load import LoadResult, LoadSpec
from bench.server import BIN, Service

RATE = 200  # samples per second
PROJECT = {"api", "auth", "records", "signals", "audit", "policies", "wijkdeel", "notifications"}
FRAMEWORK = {"fastapi", "starlette", "pydantic", "pydantic_core", "anyio", "uvicorn", "typer"}
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
WAITS = {"wait", "get", "select", "poll", "acquire", "sleep", "_wait_for_tstate_lock", "join"}


def py_spy() -> str | None:
    local = BIN / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def _parse(frame: str) -> tuple[str, str]:
    """(function, file) of a py-spy frame `func (path/file.py:line)`."""
    match = FRAME.match(frame)
    if not match:
        return frame, ""
    return match.group("func"), match.group("file")


def _package(path: str) -> str:
    if "/" not in path:
        return path.removesuffix(".py") or "?"
    return path.split("/", 1)[0]


def _name(frame: str) -> str:
    func, path = _parse(frame)
    return f"{func} ({path})"


def _owner(frames: list[str]) -> tuple[str, str]:
    """The nearest wijkdeel frame above the leaf, unless the framework comes first."""
    for frame in reversed(frames):
        _, path = _parse(frame)
        package = _package(path)
        if package in PROJECT:
            return package, _name(frame)
        if package in FRAMEWORK:
            return "framework", f"framework: {package}"
    return "other", _name(frames[-1])


def _idle(frames: list[str]) -> bool:
    """A thread waiting for work: no wijkdeel frame, and its leaf is a wait."""
    leaf = _parse(frames[-1])[0].rsplit(".", 1)[-1]
    if leaf not in WAITS and not frames[-1].startswith("Runner.run"):
        return False
    return not any(_package(_parse(f)[1]) in PROJECT for f in frames)


def summarise(
    raw: Path, title: str, *, drop_idle: bool = False, expected: int | None = None, top: int = 15
) -> str:
    """The hot spots of a raw py-spy recording.

    `expected`: the samples a GIL always held would have given (rate x seconds); with `--gil`,
    samples / expected is how busy the GIL was."""
    self_time: Counter[str] = Counter()
    total_time: Counter[str] = Counter()
    leaf_package: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    samples = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if drop_idle and _idle(frames):
            idle += n
            continue
        samples += n
        names = [_name(f) for f in frames]
        self_time[names[-1]] += n
        for name in set(names):
            total_time[name] += n
        leaf_package[_package(_parse(frames[-1])[1])] += n
        area, owner = _owner(frames)
        owners[owner] += n
        areas[area] += n
        pairs[f"{owner}  <-  {names[-1]}"] += n
    if not samples:
        return f"{title}\n(no samples)\n"

    def block(heading: str, counter: Counter[str], limit: int = top) -> list[str]:
        lines = [heading]
        for name, n in counter.most_common(limit):
            lines.append(f"  {n / samples:6.1%}  {name}")
        return [*lines, ""]

    left_out = f"; {idle} samples of threads idle waiting for work left out" if idle else ""
    busy = ""
    if expected:
        busy = f"; a GIL holder in {samples / expected:.0%} of {expected} sampling instants"
    out = [title, f"{samples} samples{left_out}{busy}", ""]
    out += block("Owner area (nearest wijkdeel package above each sample):", areas)
    out += block("Owner (nearest wijkdeel function above each sample):", owners, top + 5)
    out += block("Owner <- leaf function (what it is doing there):", pairs, top)
    out += block("Leaf package (what code the CPU is in):", leaf_package)
    out += block("Top self time:", self_time)
    ours = Counter(
        {
            k: v
            for k, v in total_time.items()
            if _package(k.rsplit("(", 1)[-1]) in PROJECT and "(wijkdeel/cli/" not in k
        }
    )
    out += block("Top total time of wijkdeel functions (inclusive):", ours, top + 5)
    return "\n".join(out)


def record(
    service: Service, spec: LoadSpec, out: Path, *, seconds: float, title: str, mode: str
) -> tuple[Path, Path, LoadResult | None]:
    """Load the server for `seconds` plus margins and sample it meanwhile (mode cpu or wall)."""
    spy = py_spy()
    if spy is None:
        raise RuntimeError("py-spy is not installed: `.venv/bin/pip install py-spy`")
    out.parent.mkdir(parents=True, exist_ok=True)
    outcome: dict[str, LoadResult] = {}

    def drive() -> None:
        outcome["load"] = load.run(replace(spec, seconds=seconds + 3))

    driver = threading.Thread(target=drive, name="bench-profile-load")
    driver.start()
    time.sleep(1.5)
    argv = [spy, "record", "--pid", str(service.pid), "--duration", str(round(seconds))]
    argv += ["--rate", str(RATE), "--format", "raw", "--output", str(out)]
    # Sampling ~40 threads at a time would stall the server if py-spy paused it for each sample.
    argv += ["--gil"] if mode == "cpu" else ["--idle", "--nonblocking"]
    answer = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    driver.join()
    if answer.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {answer.stderr.strip()[-800:]}")
    summary = out.with_name(out.stem + "-summary.txt")
    result = outcome.get("load")
    view = "GIL holder only (CPU)" if mode == "cpu" else "all threads, waiting included (wall)"
    heading = f"{title}; {view}; load meanwhile: {result.brief() if result else '?'}"
    expected = RATE * round(seconds) if mode == "cpu" else None
    summary.write_text(summarise(out, heading, drop_idle=mode == "wall", expected=expected))
    print(f"    profile written: {out.name}, {summary.name}", file=sys.stderr)
    return out, summary, result
