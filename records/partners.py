"""The partner registry: organisations and their system credentials."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.errors import Conflict, NotFound
from records import epochs
from records.models import Client, Partner
from records.pages import Page, keyset_page


def new_client_id() -> str:
    return "cl_" + secrets.token_hex(12)


def create_partner(session: Session, *, id: str, name: str, kind: str, now: datetime) -> Partner:
    if session.get(Partner, id) is not None:
        raise Conflict("a partner with this id already exists", code="partner_exists")
    partner = Partner(id=id, name=name, kind=kind, status="active", created_at=now, updated_at=now)
    session.add(partner)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("a partner with this id already exists", code="partner_exists") from None
    epochs.bump(session)
    return partner


def get_partner(session: Session, partner_id: str) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("no partner with this id", code="partner_not_found")
    return partner


def list_partners(session: Session, *, cursor: str | None, limit: int) -> Page[Partner]:
    return keyset_page(session, select(Partner), col(Partner.id), cursor=cursor, limit=limit)


def update_partner(
    session: Session, partner_id: str, *, changes: dict[str, Any], now: datetime
) -> Partner:
    partner = get_partner(session, partner_id)
    for name, value in changes.items():
        setattr(partner, name, value)
    partner.updated_at = now
    session.add(partner)
    session.flush()
    epochs.bump(session)
    return partner


def create_client(
    session: Session,
    *,
    partner_id: str,
    role: str,
    auth_method: str,
    secret_hash: str | None,
    jwks: dict[str, Any] | None,
    now: datetime,
) -> Client:
    partner = get_partner(session, partner_id)
    client = Client(
        id=new_client_id(),
        partner_id=partner.id,
        role=role,
        auth_method=auth_method,
        secret_hash=secret_hash,
        jwks=jwks,
        status="active",
        created_at=now,
    )
    session.add(client)
    session.flush()
    return client


def list_clients(
    session: Session, partner_id: str, *, cursor: str | None, limit: int
) -> Page[Client]:
    get_partner(session, partner_id)
    query = select(Client).where(Client.partner_id == partner_id)
    return keyset_page(session, query, col(Client.id), cursor=cursor, limit=limit)


def revoke_client(session: Session, partner_id: str, client_id: str, *, now: datetime) -> Client:
    client = session.get(Client, client_id)
    if client is None or client.partner_id != partner_id:
        raise NotFound("no client with this id at this partner", code="client_not_found")
    if client.status != "revoked":
        client.status = "revoked"
        client.revoked_at = now
        session.add(client)
        session.flush()
    return client
