"""The access report as a printable Dutch page for a parent: one rendering of the report, which
the API answers as a document of its own (`Accept: text/html`) and the console shows inside its
layout. No script; the one stylesheet is embedded and allowed by its hash, so the page prints
the same when saved and opened elsewhere."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from importlib.resources import files
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from rights import words
from rights.access import Access, AccessReport, SignalAccess

# A parent reads Dutch local time.
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip

STYLE = files("rights").joinpath("templates/report.css").read_text(encoding="utf-8")
STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'"
# The document allows its own embedded style and nothing else: no script, no fetch, no form.
DOCUMENT_CSP = (
    f"default-src 'none'; style-src {STYLE_SOURCE}; img-src 'none'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def dutch_day(value: date | str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def dutch_date(moment: datetime) -> str:
    return dutch_day(moment.astimezone(LOCAL_TIME).date())


def dutch_moment(moment: datetime) -> str:
    local = moment.astimezone(LOCAL_TIME)
    return f"{dutch_day(local.date())} om {local:%H:%M} uur"


def what(access: Access, item: SignalAccess) -> str:
    """What an organisation did, in words; a share names the organisation it went to."""
    text = words.action(access.action, access.outcome)
    reason = access.reason or ""
    if access.action == "signal.share" and reason.startswith("recipient:"):
        partner = reason.removeprefix("recipient:")
        names = {r.organisation.id: r.organisation.name for r in item.recipients}
        text += f" met {names.get(partner, partner)}"
    return text


ENVIRONMENT = Environment(
    loader=PackageLoader("rights", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(
    dutch_day=dutch_day,
    dutch_date=dutch_date,
    dutch_moment=dutch_moment,
    what=what,
    plain=words.plain,
    field=words.field,
    legal_basis=words.legal_basis,
    category=words.category,
    urgency=words.urgency,
    state=words.state,
    informing=words.informing,
    informing_party=words.informing_party,
    informing_method=words.informing_method,
    postpone_reason=words.postpone_reason,
    refusal=words.refusal,
    restriction=words.restriction,
    person=words.person,
)


def style() -> Markup:
    """The report's stylesheet, for a page that embeds it (and allows STYLE_SOURCE)."""
    return Markup(STYLE)  # noqa: S704 - our own file, hashed into the page's policy


def fragment(report: AccessReport) -> Markup:
    """The report's own markup, for a page that has its layout already (the console's)."""
    return Markup(ENVIRONMENT.get_template("report.html").render(report=report))  # noqa: S704


def document(report: AccessReport) -> str:
    """The report as a page of its own, to print or to save and hand over."""
    return ENVIRONMENT.get_template("document.html").render(
        style=style(),
        body=fragment(report),
    )
