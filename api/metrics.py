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
