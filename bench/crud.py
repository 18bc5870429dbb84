"""The privacy tax on the hot path: wijkdeel's authorized read and its insert against the
baseline's plain CRUD, in alternating rounds at 16 connections on one server process each.

- read: `GET /v1/signals/{id}` by the recipient (wijkteam, purpose signalering: token verified,
  caller resolved, policy decided, data key unwrapped, four fields decrypted, related signals
  found, audit event written) against `GET /notes/{id}` (one `Session.get`);
- insert: `POST /v1/signals` with all four content fields against `POST /notes` (an ORM
  add + commit of a comparable row).
"""

from __future__ import annotations

from bench.load import LoadSpec
from bench.report import Figure, median
from bench.rounds import Rounds, alternate
from bench.stack import Stack


def _specs(stack: Stack, kind: str, connections: int) -> tuple[LoadSpec, LoadSpec]:
    assert stack.baseline is not None
    world = stack.world
    if kind == "read":
        baseline = LoadSpec("read", stack.baseline.base, "/notes/", ids=stack.baseline_ids)
        wijkdeel = LoadSpec(
            "read", world.base, "/v1/signals/", ids=world.signal_ids, headers=world.reader_headers()
        )
    else:
        baseline = LoadSpec("insert", stack.baseline.base, "/notes")
        wijkdeel = LoadSpec("insert", world.base, "/v1/signals", headers=world.writer_headers())
    baseline.connections = wijkdeel.connections = connections
    return baseline, wijkdeel


def _rates(rounds: Rounds) -> str:
    b, w = rounds.median_of("baseline", "rps"), rounds.median_of("wijkdeel", "rps")
    return f"{w:,.0f} vs {b:,.0f} req/s"


def _detail(rounds: Rounds, connections: int, ratios: list[float]) -> dict[str, object]:
    return {
        "connections": connections,
        "per_round_ratios": [round(r, 3) for r in ratios],
        "errors": rounds.errors(),
        "tool": rounds.pairs[0].wijkdeel.tool if rounds.pairs else None,
        "rounds": rounds.as_dict(),
    }


def _errors_note(rounds: Rounds) -> str:
    errors = rounds.errors()
    return f" [errors: {errors}]" if errors else ""


def read_figures(
    stack: Stack, *, rounds: int, seconds: float, warmup: float, connections: int
) -> list[Figure]:
    baseline, wijkdeel = _specs(stack, "read", connections)
    result = alternate(
        f"{stack.backend} read", baseline, wijkdeel, rounds=rounds, seconds=seconds, warmup=warmup
    )
    ratio = median(result.throughput_ratios)
    p99_ratio = median(result.p99_ratios)
    met = "yes" if ratio >= 1.0 else "floor" if ratio >= 0.5 else "no"
    b99, w99 = result.median_of("baseline", "p99_ms"), result.median_of("wijkdeel", "p99_ms")
    return [
        Figure(
            f"authorized GET /v1/signals/{{id}} ÷ baseline read ({stack.backend})",
            f"{ratio:.2f}x ({_rates(result)}){_errors_note(result)}",
            "≥ 1.0x (floor 0.5x)",
            met,
            ratio,
            _detail(result, connections, result.throughput_ratios),
        ),
        Figure(
            f"p99 of the authorized read ÷ baseline p99 ({stack.backend})",
            f"{p99_ratio:.2f}x ({w99:.1f} vs {b99:.1f} ms)",
            "≤ 2x",
            "yes" if p99_ratio <= 2.0 else "no",
            p99_ratio,
            {
                "per_round_ratios": [round(r, 3) for r in result.p99_ratios],
                "wijkdeel_p50_ms": result.median_of("wijkdeel", "p50_ms"),
                "baseline_p50_ms": result.median_of("baseline", "p50_ms"),
            },
        ),
    ]


def insert_figures(
    stack: Stack, *, rounds: int, seconds: float, warmup: float, connections: int
) -> list[Figure]:
    baseline, wijkdeel = _specs(stack, "insert", connections)
    before = stack.rows()
    result = alternate(
        f"{stack.backend} insert", baseline, wijkdeel, rounds=rounds, seconds=seconds, warmup=warmup
    )
    after = stack.rows()
    # Every 201 must be a row, on both sides: a rate of answers that stored nothing is no rate.
    # (A load run that ends abandons its requests in flight, which may still be stored: at most
    # one per connection and run more rows than answers.)
    added = {side: after[side] - before[side] for side in after}
    answered = {side: result.answered(side) for side in added}
    in_flight = connections * (rounds + 1)
    counted = all(0 <= added[side] - answered[side] <= in_flight for side in added)
    ratio = median(result.throughput_ratios)
    rates = [round(p.wijkdeel.rps) for p in result.pairs]
    return [
        Figure(
            f"POST /v1/signals ÷ baseline insert ({stack.backend})",
            f"{ratio:.2f}x ({_rates(result)}){_errors_note(result)}; rows = 201s: "
            f"{'yes' if counted else f'NO {added} vs {answered}'}; wijkdeel per round {rates}",
            "≥ 0.8x",
            "yes" if ratio >= 0.8 and counted else "no",
            ratio,
            _detail(result, connections, result.throughput_ratios)
            | {"rows_added": added, "answered_2xx": answered},
        )
    ]
