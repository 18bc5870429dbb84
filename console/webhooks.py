"""Failing webhook subscriptions at a glance, for the administrator: which partners' receivers
are disabled or refusing deliveries, and each subscription's delivery log (status, timing and
answers only - a delivery's content is never kept, so it cannot be shown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import case, func
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response

from console import unit
from console.auth import csrf_for, draft, role, runtime_of
from console.names import all_partners
from console.pages import render
from core.errors import DomainError
from notifications import log
from people.sessions import SignedIn
from records.models import Delivery, DeliveryAttempt, Subscription
from records.pages import Page

router = APIRouter(prefix="/console/webhooks", include_in_schema=False)

Admin = Annotated[SignedIn, Depends(role("admin", page="webhooks"))]

PAGE_SIZE = 50


@dataclass
class Health:
    subscription: Subscription
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    pending: int = 0
    last_error: str | None = None
    last_status_code: int | None = None
    last_failure_at: datetime | None = None

    @property
    def failing(self) -> bool:
        return self.subscription.status != "active" or self.failed > 0 or self.retrying > 0


@dataclass
class Overview:
    items: list[Health]
    partners: dict[str, str] = field(default_factory=dict)

    @property
    def failing(self) -> list[Health]:
        return [item for item in self.items if item.failing]


def overview(tx: unit.Tx) -> Overview:
    subscriptions = list(
        tx.session.exec(
            select(Subscription)
            .where(col(Subscription.status) != "deleted")
            .order_by(col(Subscription.partner_id), col(Subscription.created_at))
        )
    )
    health = {row.id: Health(row) for row in subscriptions}
    tried = func.sum(case((col(Delivery.attempts) > 0, 1), else_=0))
    counts = tx.session.execute(
        select(col(Delivery.subscription_id), col(Delivery.status), func.count(), tried).group_by(
            col(Delivery.subscription_id), col(Delivery.status)
        )
    )
    for subscription_id, status, count, attempted in counts:
        item = health.get(subscription_id)
        if item is None:
            continue
        if status == "delivered":
            item.delivered += count
        elif status == "failed":
            item.failed += count
        else:
            item.retrying += int(attempted or 0)
            item.pending += count - int(attempted or 0)
    for item in health.values():
        if item.failed or item.retrying:
            last = tx.session.exec(
                select(Delivery)
                .where(
                    col(Delivery.subscription_id) == item.subscription.id,
                    col(Delivery.attempts) > 0,
                    col(Delivery.status) != "delivered",
                )
                .order_by(col(Delivery.updated_at).desc())
                .limit(1)
            ).first()
            if last is not None:
                item.last_error, item.last_status_code = last.last_error, last.last_status_code
                item.last_failure_at = last.updated_at
    tx.audit.count = len(health)
    items = sorted(health.values(), key=lambda one: (not one.failing, one.subscription.partner_id))
    return Overview(items, all_partners(tx.session))


@router.get("")
async def webhooks(request: Request, actor: Admin) -> Response:
    rt = runtime_of(request)
    found = await unit.run(
        rt,
        overview,
        audit=draft(request, "subscription.list", "subscription"),
        actor=actor,
        mode="read",
    )
    return render(
        request,
        rt,
        "webhooks.html",
        title="Webhooks",
        actor=actor,
        csrf=csrf_for(request),
        overview=found,
    )


@dataclass
class Log:
    subscription: Subscription
    page: Page[tuple[Delivery, str, list[DeliveryAttempt]]]
    partner: str


@router.get("/{subscription_id}")
async def delivery_log(request: Request, actor: Admin, subscription_id: str) -> Response:
    rt = runtime_of(request)
    cursor = request.query_params.get("cursor") or None

    def work(tx: unit.Tx) -> Log | None:
        tx.audit.resource_id = subscription_id[:64]
        subscription = tx.session.get(Subscription, subscription_id[:36])
        if subscription is None or subscription.status == "deleted":
            return None
        page = log.deliveries(tx.session, subscription.id, cursor=cursor, limit=PAGE_SIZE)
        tx.audit.count = len(page.items)
        names = all_partners(tx.session)
        return Log(subscription, page, names.get(subscription.partner_id, subscription.partner_id))

    try:
        found = await unit.run(
            rt,
            work,
            audit=draft(request, "delivery.list", "subscription"),
            actor=actor,
            mode="read",
        )
    except DomainError:
        found = None
    if found is None:
        return render(
            request,
            rt,
            "error.html",
            title="Niet gevonden",
            actor=actor,
            csrf=csrf_for(request),
            status=404,
            heading="Niet gevonden",
            message="Er is geen webhook met dit id (of de pagina bestaat niet meer).",
        )
    return render(
        request,
        rt,
        "webhook.html",
        title="Afleveringen",
        actor=actor,
        csrf=csrf_for(request),
        found=found,
        next_link=f"/console/webhooks/{found.subscription.id}?cursor={found.page.next_cursor}"
        if found.page.next_cursor
        else None,
    )
