"""The figures, the table they are printed in, the machine they were measured on, and the JSON
kept under bench/results/ (gitignored)."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MET = {"yes": "yes", "no": "NO", "floor": "floor only", "info": "-", "n/a": "n/a"}


@dataclass
class Figure:
    figure: str
    measured: str
    target: str
    met: str  # yes | no | floor | info | n/a | error | not available yet
    ratio: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict(ok: bool) -> str:
    return "yes" if ok else "no"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine(postgres: str | None, sqlite: str) -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite,
        "postgresql": postgres or "unreachable",
        "loadavg_start": loadavg(),
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def describe(info: dict[str, Any]) -> str:
    return (
        f"{info['cores']} cores · {info['cpu']} · {info.get('memory') or '?'} · "
        f"Python {info['python']} · SQLite {info['sqlite']} · PostgreSQL {info['postgresql']} · "
        f"load average {info['loadavg_start']} at start"
        + (f", {info['loadavg_end']} at end" if "loadavg_end" in info else "")
    )


def table(figures: list[Figure]) -> str:
    headers = ("figure", "measured", "target", "met?")
    rows = [(f.figure, f.measured, f.target, MET.get(f.met, f.met)) for f in figures]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def markdown(figures: list[Figure]) -> str:
    out = ["| figure | measured | target | met? |", "|---|---|---|---|"]
    for f in figures:
        cells = (f.figure, f.measured, f.target, MET.get(f.met, f.met))
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


def ratios(figures: list[Figure]) -> str:
    """The per-round ratios behind each ratio figure (the figure is their median)."""
    lines = []
    for f in figures:
        per_round = f.detail.get("per_round_ratios")
        if per_round:
            shown = ", ".join(f"{r:.2f}" for r in per_round)
            lines.append(f"  {f.figure}: median {f.ratio:.2f}x of [{shown}]")
    return "\n".join(lines)


def save(
    directory: Path, figures: list[Figure], info: dict[str, Any], options: dict[str, Any]
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    document = {
        "date": stamp.isoformat(timespec="seconds"),
        "machine": info,
        "options": options,
        "figures": [f.as_dict() for f in figures],
    }
    path = directory / f"bench-{stamp:%Y%m%dT%H%M%SZ}.json"
    text = json.dumps(document, indent=2, default=str)
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    (directory / "latest.md").write_text(
        f"Measured {stamp:%Y-%m-%d %H:%M} UTC on {describe(info)}\n\n{markdown(figures)}\n"
    )
    return path
