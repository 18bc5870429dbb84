"""Prometheus metrics: request counts and latencies by route template, never by raw path."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from ipaddress import IPv6Address, ip_address

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import Scope

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "wijkdeel_http_requests",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "wijkdeel_http_request_seconds",
    "HTTP request latency by route template",
    ["route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
LOOP_LAG = Histogram(
    "wijkdeel_event_loop_lag_seconds",
    "How late the event loop woke from a short sleep: time it could not serve any request",
    registry=REGISTRY,
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LOOP_STALL = Gauge(
    "wijkdeel_event_loop_stall_seconds_max",
    "The event loop's longest stall since the process started",
    registry=REGISTRY,
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


async def watch_event_loop(interval: float = 0.1) -> None:
    """Measures the loop's stalls for as long as it runs: a unit of work that blocked the loop
    (a connection awaited, a lock held, CPU work not sent to a thread) shows up here first."""
    loop = asyncio.get_running_loop()
    longest = 0.0
    while True:
        before = loop.time()
        await asyncio.sleep(interval)
        late = max(0.0, loop.time() - before - interval)
        LOOP_LAG.observe(late)
        if late > longest:
            longest = late
            LOOP_STALL.set(late)


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/signals/{id}`), or `unmatched`: never the raw
    path, which holds ids."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    # Routers included under /v1 keep their own path, without the prefix; a route declared on
    # the application itself carries its full path.
    if scope["path"].startswith("/v1/") and not template.startswith("/v1/"):
        return "/v1" + template
    return template


def observe_request(method: str, template: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, template, str(status)).inc()
    LATENCY.labels(template).observe(seconds)


def exposition() -> bytes:
    return generate_latest(REGISTRY)


# A request that carries one of these came through a proxy: it is not from this machine, even
# when the proxy itself connects over loopback.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def may_scrape(peer: str | None, headers: Mapping[str, str], token: str) -> bool:
    """Whether this caller may read the metrics (API.md, "Operations").

    With a token configured: exactly the callers that send it as a bearer token, wherever they
    are. Without one: callers on this machine only, a loopback peer with no forwarding header.
    """
    if token:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        # Digests of equal length, so the comparison reveals neither the token nor its length.
        return scheme.lower() == "bearer" and hmac.compare_digest(
            hashlib.sha256(presented.encode()).digest(), hashlib.sha256(token.encode()).digest()
        )
    if any(name in headers for name in FORWARDING_HEADERS):
        return False
    try:
        address = ip_address(peer or "")
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
