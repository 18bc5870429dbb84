"""Partners and clients on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from api.schemas.common import SLUG_PATTERN, Body, Page, Public
from policies.vocabulary import PARTNER_KINDS

PartnerKind = Literal[PARTNER_KINDS]  # type: ignore[valid-type]
Role = Literal["partner", "admin", "auditor", "policymaker"]


class PartnerCreate(Body):
    id: str = Field(pattern=SLUG_PATTERN, examples=["wijkteam-noord"])
    name: str = Field(min_length=1, max_length=200, examples=["Wijkteam Noord"])
    kind: PartnerKind = Field(examples=["wijkteam"])


class PartnerUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal["active", "suspended"] | None = None

    @model_validator(mode="after")
    def _something(self) -> PartnerUpdate:
        if self.name is None and self.status is None:
            raise ValueError("give name, status or both")
        return self


class PartnerPublic(Public):
    id: str = Field(examples=["wijkteam-noord"])
    name: str = Field(examples=["Wijkteam Noord"])
    kind: str = Field(examples=["wijkteam"])
    status: str = Field(examples=["active"])
    created_at: datetime
    updated_at: datetime


class ClientCreate(Body):
    role: Role = Field(examples=["partner"])
    jwks: dict[str, Any] | None = Field(
        default=None,
        description="public keys for private_key_jwt: EC P-256 only, no private members",
        examples=[{"keys": [{"kty": "EC", "crv": "P-256", "x": "…", "y": "…", "kid": "k1"}]}],
    )
    auth_method: Literal["private_key_jwt", "client_secret_basic"] | None = Field(
        default=None, description="defaults to private_key_jwt when jwks is given"
    )

    @model_validator(mode="after")
    def _method_matches_credentials(self) -> ClientCreate:
        method = self.auth_method or ("private_key_jwt" if self.jwks is not None else None)
        if method is None:
            raise ValueError("give jwks (private_key_jwt) or authMethod client_secret_basic")
        if method == "private_key_jwt" and self.jwks is None:
            raise ValueError("private_key_jwt needs jwks")
        if method == "client_secret_basic" and self.jwks is not None:
            raise ValueError("client_secret_basic takes no jwks")
        self.auth_method = method
        return self


class ClientCreated(Public):
    client_id: str = Field(examples=["cl_5f0c2a9e41d37b6c88a1f0e2"])
    partner: str
    role: str
    auth_method: str
    client_secret: str | None = Field(
        default=None, description="only in this answer, only for client_secret_basic"
    )
    created_at: datetime


class ClientPublic(Public):
    client_id: str
    partner: str
    role: str
    auth_method: str
    status: str = Field(examples=["active"])
    created_at: datetime
    revoked_at: datetime | None = None


class PartnerPage(Page[PartnerPublic]):
    pass


class ClientPage(Page[ClientPublic]):
    pass
