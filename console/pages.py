"""Rendering: the Jinja2 environment, navigation per role, and the pages' answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from console.security import CONSOLE_CSP, page_headers
from people.accounts import ROLE_NAMES
from people.sessions import SignedIn
from wijkdeel.runtime import Runtime

ENVIRONMENT = Environment(
    loader=PackageLoader("console", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

# The console speaks to Dutch municipal staff: times on its pages are Dutch local time.
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def dutch_time(moment: datetime) -> str:
    local = moment.astimezone(LOCAL_TIME)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def dutch_moment(moment: datetime | str) -> str:
    """An audit moment (RFC 3339 text or a datetime) to the second, in Dutch local time."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    local = value.astimezone(LOCAL_TIME)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M:%S}"


ENVIRONMENT.filters["dutch_time"] = dutch_time
ENVIRONMENT.filters["dutch_moment"] = dutch_moment


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    roles: frozenset[str]


ALL_ROLES = frozenset(ROLE_NAMES)
# The console's pages by role; the data pages of later work add themselves here.
NAVIGATION = (
    NavItem("/console", "Start", ALL_ROLES),
    NavItem("/console/people", "Personen", frozenset({"admin"})),
    # The administrator's pages (console/partners.py, agreements.py, decisions.py, webhooks.py)
    NavItem("/console/partners", "Partners", frozenset({"admin"})),
    NavItem("/console/agreements", "Convenanten", frozenset({"admin"})),
    NavItem("/console/acceptance", "Aanvaarden", frozenset({"admin"})),
    NavItem("/console/decisions", "Beslissing testen", frozenset({"admin", "auditor"})),
    NavItem("/console/webhooks", "Webhooks", frozenset({"admin"})),
    # The auditor's pages (console/audit_log.py)
    NavItem("/console/audit", "Auditlog", frozenset({"auditor"})),
    NavItem("/console/audit/verify", "Ketencontrole", frozenset({"auditor"})),
    NavItem("/console/audit/subject", "Overzicht per kind", frozenset({"auditor"})),
    # The rights of the child and parent (console/subject_access.py)
    NavItem("/console/subject-access", "Inzage voor ouders", frozenset({"admin", "auditor"})),
    NavItem("/console/account", "Mijn account", ALL_ROLES),
)


def navigation(actor: SignedIn | None) -> list[NavItem]:
    if actor is None or actor.must_change_password:
        return []
    return [item for item in NAVIGATION if actor.role in item.roles]


def render(
    request: Request,
    runtime: Runtime,
    template: str,
    *,
    title: str,
    actor: SignedIn | None = None,
    csrf: str | None = None,
    status: int = 200,
    csp: str = CONSOLE_CSP,
    **values: Any,
) -> HTMLResponse:
    body = ENVIRONMENT.get_template(template).render(
        title=title,
        actor=actor,
        role_name=ROLE_NAMES.get(actor.role, actor.role) if actor else None,
        navigation=navigation(actor),
        current=request.url.path,
        csrf=csrf,
        **values,
    )
    return page_headers(HTMLResponse(body, status_code=status), runtime, csp=csp)
