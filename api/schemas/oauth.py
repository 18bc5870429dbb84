"""The OAuth endpoints on the wire (RFC 6749, 7009, 7662) and /v1/me."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Public


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9…",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "signals:read signals:write",
                    "purpose": "signalering",
                }
            ]
        }
    )

    access_token: str
    token_type: str = "Bearer"  # noqa: S105  (a token type, not a secret)
    expires_in: int
    scope: str
    purpose: str | None = None


class OAuthErrorBody(BaseModel):
    """RFC 6749 §5.2 error, which is also an RFC 9457 problem (both member sets are present)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "invalid_client",
                    "error_description": "client authentication failed",
                    "type": "urn:wijkdeel:problem:invalid_client",
                    "title": "OAuth error",
                    "status": 401,
                    "detail": "client authentication failed",
                    "code": "invalid_client",
                }
            ]
        }
    )

    error: str
    error_description: str
    type: str
    title: str
    status: int
    detail: str
    code: str


class ActorClaim(BaseModel):
    sub: str = Field(description="the partner's own id for the professional")


class Introspection(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "active": True,
                    "client_id": "cl_5f0c2a9e41d37b6c88a1f0e2",
                    "sub": "cl_5f0c2a9e41d37b6c88a1f0e2",
                    "scope": "signals:read",
                    "token_type": "Bearer",
                    "exp": 1795000000,
                    "iat": 1794999700,
                    "iss": "https://wijkdeel.example.nl",
                    "aud": "https://wijkdeel.example.nl/v1",
                    "jti": "k3J9c0d2…",
                    "partner": "wijkteam-noord",
                    "role": "partner",
                    "purpose": "signalering",
                },
                {"active": False},
            ]
        }
    )

    active: bool
    client_id: str | None = None
    sub: str | None = None
    scope: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
    aud: str | None = None
    jti: str | None = None
    partner: str | None = None
    role: str | None = None
    purpose: str | None = None
    act: ActorClaim | None = Field(
        default=None, description="the professional the token acts for (RFC 8693 §4.1)"
    )


class Me(Public):
    client_id: str = Field(examples=["cl_5f0c2a9e41d37b6c88a1f0e2"])
    partner: str = Field(examples=["wijkteam-noord"])
    role: str = Field(examples=["partner"])
    scope: str = Field(examples=["signals:read signals:write"])
    purpose: str | None = Field(default=None, examples=["signalering"])
    expires_at: datetime
