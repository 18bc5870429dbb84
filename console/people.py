"""The people who may sign in (administrators only): who they are, their role, and how they
sign in. Accounts are provisioned with `wijkdeel people`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from console import unit
from console.auth import csrf_for, draft, role, runtime_of
from console.pages import render
from people import accounts
from people.sessions import SignedIn
from records.models import Person

router = APIRouter(prefix="/console", include_in_schema=False)

Admin = Annotated[SignedIn, Depends(role("admin", page="people"))]


def _list(tx: unit.Tx) -> list[Person]:
    people = accounts.list_people(tx.session)
    tx.audit.count = len(people)
    return people


@router.get("/people")
async def people(request: Request, actor: Admin) -> Response:
    rt = runtime_of(request)
    found = await unit.run(rt, _list, audit=draft(request, "person.list", "person"), actor=actor)
    return render(
        request,
        rt,
        "people.html",
        title="Personen",
        actor=actor,
        csrf=csrf_for(request),
        people=found,
        role_names=accounts.ROLE_NAMES,
    )
