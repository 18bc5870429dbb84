"""Prometheus metrics: request counts and latencies by route template, never by raw path."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
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
CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    template = getattr(route, "path", None)
    # Routes under /v1 are included with that prefix; the route object holds its own path only.
    prefix = "/v1" if template and scope["path"].startswith("/v1/") else ""
    name = prefix + template if template else "unmatched"
    REQUESTS.labels(scope["method"], name, str(status)).inc()
    LATENCY.labels(name).observe(seconds)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
