"""Alternating rounds: baseline, wijkdeel, baseline, wijkdeel, … on a shared, noisy machine.

Absolute numbers drift with whatever else runs; the ratio of two runs a few seconds apart holds.
So each ratio figure is the median of per-round ratios, never a ratio of totals.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

from bench import load
from bench.load import LoadResult, LoadSpec
from bench.report import median


@dataclass
class Pair:
    baseline: LoadResult
    wijkdeel: LoadResult

    @property
    def throughput_ratio(self) -> float:
        return self.wijkdeel.rps / self.baseline.rps if self.baseline.rps else float("nan")

    @property
    def p99_ratio(self) -> float:
        return self.wijkdeel.p99_ms / self.baseline.p99_ms if self.baseline.p99_ms else float("nan")


@dataclass
class Rounds:
    label: str
    pairs: list[Pair]
    warmup_ok: dict[str, int] = field(default_factory=dict)

    def answered(self, side: str) -> int:
        """2xx answers of `side` over the whole run, warm-up included."""
        return self.warmup_ok.get(side, 0) + sum(getattr(p, side).ok for p in self.pairs)

    @property
    def throughput_ratios(self) -> list[float]:
        return [p.throughput_ratio for p in self.pairs]

    @property
    def p99_ratios(self) -> list[float]:
        return [p.p99_ratio for p in self.pairs]

    def median_of(self, side: str, attribute: str) -> float:
        return median([getattr(getattr(p, side), attribute) for p in self.pairs])

    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for pair in self.pairs:
            for side in (pair.baseline, pair.wijkdeel):
                for key, value in side.errors.items():
                    name = f"{'baseline' if side is pair.baseline else 'wijkdeel'} {key}"
                    total[name] = total.get(name, 0) + value
        return total

    def as_dict(self) -> list[dict[str, object]]:
        return [
            {"baseline": p.baseline.as_dict(), "wijkdeel": p.wijkdeel.as_dict()} for p in self.pairs
        ]


def alternate(
    label: str,
    baseline: LoadSpec,
    wijkdeel: LoadSpec,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
) -> Rounds:
    """A warm-up run of each, then `rounds` pairs of equal length, baseline first."""
    warmup_ok = {
        side: load.run(replace(spec, seconds=warmup)).ok
        for side, spec in (("baseline", baseline), ("wijkdeel", wijkdeel))
    }
    pairs = []
    for n in range(rounds):
        b = load.run(replace(baseline, seconds=seconds, seed=100 + n))
        w = load.run(replace(wijkdeel, seconds=seconds, seed=200 + n))
        pair = Pair(b, w)
        pairs.append(pair)
        print(
            f"    {label} round {n + 1}/{rounds}: baseline {b.brief()} | wijkdeel {w.brief()} "
            f"| {pair.throughput_ratio:.2f}x",
            file=sys.stderr,
            flush=True,
        )
    return Rounds(label, pairs, warmup_ok)
