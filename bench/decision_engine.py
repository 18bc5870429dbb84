"""Benchmark of the policy decision engine: latency per decision at municipal scale.

Builds 500 agreements x 20 rules over 1,000 partners and 100,000 consents over 20,000 children,
then times 100,000 decisions one by one. Run: `python bench/decision_engine.py`.
"""

import argparse
import gc
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies import (
    Agreement,
    Consent,
    Party,
    PolicySet,
    Rule,
    ShareRequest,
    decide,
)
from policies.vocabulary import LEGAL_BASES, SIGNAL_FIELDS

TARGET_P99_US = 50.0
NOW = datetime(2026, 11, 15, 9, 30, tzinfo=UTC)

KIND_WEIGHTS = {
    "school": 30,
    "kinderopvang": 20,
    "kinderwerk": 15,
    "wijkteam": 10,
    "jongerenwerk": 10,
    "politie": 5,
    "gemeente": 5,
    "other": 5,
}
STATUS_WEIGHTS = {"active": 85, "draft": 5, "suspended": 5, "terminated": 5}
PURPOSES = [f"doel-{n}" for n in range(10)]
CATEGORIES = [f"categorie-{n}" for n in range(12)]


def make_partners(rng: random.Random, count: int) -> dict[str, str]:
    kinds = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=count)
    return {f"partner-{n:04d}": kind for n, kind in enumerate(kinds)}


def make_rule(
    rng: random.Random, parties: list[str], kinds: dict[str, str], purposes: list[str]
) -> Rule:
    sender, recipient = rng.sample(parties, 2)
    shape = rng.random()
    # A mix of rules naming parties and rules naming kinds, as convenanten are written.
    if shape > 0.4:
        recipient = f"kind:{kinds[recipient]}"
    if shape > 0.7:
        sender = f"kind:{kinds[sender]}"
    legal_basis = rng.choice(LEGAL_BASES)
    return Rule(
        sender=sender,
        recipient=recipient,
        purposes=tuple(rng.sample(purposes, rng.randint(1, len(purposes)))),
        categories=tuple(rng.sample(CATEGORIES, rng.randint(1, 4))),
        fields=tuple(f for f in SIGNAL_FIELDS if rng.random() < 0.7) or ("summary",),
        legal_basis=legal_basis,
        requires_consent=legal_basis == "consent" or rng.random() < 0.2,
        retention_days=rng.randint(30, 730),
    )


def make_agreements(
    rng: random.Random, partners: dict[str, str], count: int, rules_each: int
) -> list[Agreement]:
    ids = list(partners)
    agreements = []
    for n in range(count):
        parties = rng.sample(ids, rng.randint(4, 12))
        purposes = rng.sample(PURPOSES, rng.randint(2, 5))
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 700))
        agreements.append(
            Agreement(
                id=f"convenant-{n:03d}",
                version=rng.randint(1, 5),
                title=f"Convenant {n}",
                parties=tuple(parties),
                valid_from=start,
                valid_until=rng.choice([None, start + timedelta(days=rng.randint(200, 1500))]),
                status=rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0],
                purposes={purpose: f"Doel {purpose}" for purpose in purposes},
                rules=tuple(make_rule(rng, parties, partners, purposes) for _ in range(rules_each)),
            )
        )
    return agreements


def resolve(end: str, parties: tuple[str, ...], partners: dict[str, str]) -> list[str]:
    if end.startswith("kind:"):
        return [p for p in parties if f"kind:{partners[p]}" == end]
    return [end]


def make_requests(
    rng: random.Random,
    partners: dict[str, str],
    agreements: list[Agreement],
    subjects: int,
    count: int,
) -> list[tuple[ShareRequest, int]]:
    """Mostly shares some rule is about, some between random partners."""
    ids = list(partners)
    requests = []
    for _ in range(count):
        if rng.random() < 0.9:
            agreement = rng.choice(agreements)
            rule = rng.choice(agreement.rules)
            sender = rng.choice(resolve(rule.sender, agreement.parties, partners))
            recipient = rng.choice(resolve(rule.recipient, agreement.parties, partners))
            purpose = rng.choice(list(agreement.purposes))
            category = rng.choice([*rule.categories, rng.choice(CATEGORIES)])
        else:
            sender, recipient = rng.sample(ids, 2)
            purpose, category = rng.choice(PURPOSES), rng.choice(CATEGORIES)
        request = ShareRequest(
            Party(sender, partners[sender], rng.random() > 0.01),
            Party(recipient, partners[recipient]),
            purpose,
            category,
        )
        requests.append((request, rng.randrange(subjects)))
    return requests


def make_consents(
    rng: random.Random,
    requests: list[tuple[ShareRequest, int]],
    partners: dict[str, str],
    subjects: int,
    count: int,
) -> dict[int, list[Consent]]:
    """Consents spread over the subjects; many of them for a share that is asked about."""
    ids = list(partners)
    by_subject: dict[int, list[Consent]] = defaultdict(list)
    for n in range(count):
        if rng.random() < 0.5:
            request, subject = rng.choice(requests)
            sender, recipient = request.sender.id, request.recipient.id
            purposes: tuple[str, ...] = (request.purpose,)
            categories: tuple[str, ...] | None = (request.category,)
        else:
            subject = rng.randrange(subjects)
            sender, recipient = rng.sample(ids, 2)
            purposes = tuple(rng.sample(PURPOSES, 2))
            categories = rng.choice([None, tuple(rng.sample(CATEGORIES, 3))])
        start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 400))
        by_subject[subject].append(
            Consent(
                id=f"consent-{n:06d}",
                recorded_by=sender,
                purposes=purposes,
                recipients=(recipient, *rng.sample(ids, rng.randint(0, 2))),
                categories=categories,
                valid_from=start,
                valid_until=start + timedelta(days=365),
                withdrawn_at=rng.choice([None, None, None, NOW - timedelta(days=3)]),
            )
        )
    return by_subject


def measure(
    *,
    agreements: int = 500,
    rules: int = 20,
    partners: int = 1000,
    consents: int = 100_000,
    subjects: int = 20_000,
    decisions: int = 100_000,
    seed: int = 2026,
) -> dict[str, float]:
    """Build the policy and time `decisions` decisions one by one; latencies in µs."""
    rng = random.Random(seed)
    partner_kinds = make_partners(rng, partners)
    agreement_list = make_agreements(rng, partner_kinds, agreements, rules)
    requests = make_requests(rng, partner_kinds, agreement_list, subjects, decisions)
    by_subject = make_consents(rng, requests, partner_kinds, subjects, consents)
    empty: list[Consent] = []
    calls = [(request, by_subject.get(subject, empty)) for request, subject in requests]

    started = time.perf_counter()
    policy = PolicySet.build(agreement_list)
    build_ms = (time.perf_counter() - started) * 1000

    for request, subject_consents in calls[:5000]:
        decide(policy, request, subject_consents, NOW)

    gc.collect()
    timings = []
    allowed = 0
    clock = time.perf_counter_ns
    wall = clock()
    for request, subject_consents in calls:
        before = clock()
        decision = decide(policy, request, subject_consents, NOW)
        timings.append(clock() - before)
        allowed += decision.allow
    wall = clock() - wall

    timings.sort()
    per_us = [t / 1000 for t in timings]

    def pct(p: float) -> float:
        return per_us[min(len(per_us) - 1, int(p / 100 * len(per_us)))]

    return {
        "agreements": len(agreement_list),
        "rules": sum(len(a.rules) for a in agreement_list),
        "partners": len(partner_kinds),
        "consents": sum(len(c) for c in by_subject.values()),
        "subjects_with_consents": len(by_subject),
        "build_ms": build_ms,
        "decisions": len(timings),
        "allowed_share": allowed / len(timings),
        "p50_us": pct(50),
        "p90_us": pct(90),
        "p99_us": pct(99),
        "p999_us": pct(99.9),
        "max_us": per_us[-1],
        "mean_us": statistics.fmean(per_us),
        "per_second": len(timings) / (wall / 1e9),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=500)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--consents", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    m = measure(
        agreements=args.agreements,
        rules=args.rules,
        partners=args.partners,
        consents=args.consents,
        subjects=args.subjects,
        decisions=args.decisions,
        seed=args.seed,
    )
    met = m["p99_us"] <= TARGET_P99_US
    print(
        f"policy: {m['agreements']:.0f} agreements, {m['rules']:.0f} rules, "
        f"{m['partners']:.0f} partners; {m['consents']:.0f} consents over "
        f"{m['subjects_with_consents']:.0f} subjects; built in {m['build_ms']:.0f} ms"
    )
    print(f"decisions: {m['decisions']:.0f} ({m['allowed_share']:.0%} allowed)")
    print(
        f"latency µs: p50 {m['p50_us']:.1f}  p90 {m['p90_us']:.1f}  p99 {m['p99_us']:.1f}  "
        f"p99.9 {m['p999_us']:.1f}  max {m['max_us']:.1f}  mean {m['mean_us']:.1f}"
    )
    print(f"throughput: {m['per_second']:,.0f} decisions/s (one thread)")
    print(f"target p99 <= {TARGET_P99_US:.0f} µs: {'met' if met else 'NOT met'}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
