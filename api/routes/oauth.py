"""The OAuth endpoints: token (RFC 6749 client credentials), revocation (RFC 7009), introspection
(RFC 7662). Errors follow RFC 6749 §5.2; each request leaves one audit event, granted or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from api.context import audited, draft, runtime, units
from api.ratelimit import retry_after_header
from api.schemas.oauth import Introspection, OAuthErrorBody, TokenResponse
from audit.events import AuditDraft, record
from auth import jwt, tokens
from auth.actors import ACTOR_TOKEN_TYPE, Actor
from auth.clients import Authenticated, OAuthError, remember_actor, remember_assertion
from core.errors import DomainError
from policies import purposes_for
from policies.vocabulary import is_slug
from records import professionals
from wijkdeel.runtime import Runtime
from wijkdeel.unit import Tx

router = APIRouter(prefix="/oauth", tags=["oauth"])

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_PARAMS = 20
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANT_TYPE = "client_credentials"


def _form_body(*fields: tuple[str, str, bool]) -> dict[str, Any]:
    properties = {name: {"type": "string", "description": text} for name, text, _ in fields}
    required = [name for name, _, needed in fields if needed]
    return {
        "required": True,
        "content": {
            FORM_TYPE: {
                "schema": {"type": "object", "properties": properties, "required": required}
            }
        },
    }


_CLIENT_AUTH = (
    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", False),
    ("client_assertion", "an ES256 JWT signed with the client's registered key", False),
    ("client_id", "optional with either method; must match the credentials", False),
)
_ACTOR = (
    (
        "actor_token",
        "acting for a professional (partner clients with a registered key): an ES256 JWT "
        "signed with that key; `iss` = client id, `sub` = the partner's stable id for the "
        "professional (1 to 64 of A-Z a-z 0-9 . _ -), `name`, `function`, optional `email` and "
        "`phone` (work contact), `iat`, `exp` (at most the assertion lifetime ahead), `jti` "
        "(single use), optional `aud` (this endpoint or the issuer)",
        False,
    ),
    ("actor_token_type", ACTOR_TOKEN_TYPE, False),
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    "400": {
        "description": "RFC 6749 §5.2 error: invalid_request, invalid_scope, "
        "unauthorized_client, invalid_grant (an actor token refused)",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorBody"}},
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/OAuthErrorBody"}},
        },
    },
    "401": {
        "description": "invalid_client: client authentication failed",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorBody"}},
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/OAuthErrorBody"}},
        },
    },
}


def _parse_form(request: Request, body: bytes) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise OAuthError("invalid_request", f"the body must be {FORM_TYPE}")
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=MAX_PARAMS,
        )
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the form body is malformed") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError("invalid_request", f"parameter {name} is given more than once")
        form[name] = value
    return form


def oauth_error_response(request: Request, error: OAuthError) -> Response:
    body = {
        "error": error.error,
        "error_description": error.description,
        "type": f"urn:wijkdeel:problem:{error.error}",
        "title": "OAuth error",
        "status": error.status,
        "detail": error.description,
        "code": error.error,
    }
    wants_problem = "application/problem+json" in request.headers.get("accept", "")
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="wijkdeel"'
    headers.update(error.headers)
    return Response(
        orjson.dumps(body),
        status_code=error.status,
        media_type="application/problem+json" if wants_problem else "application/json",
        headers=headers,
    )


Action = Callable[[Tx, Authenticated, dict[str, str]], Any]


async def _refused(request: Request, error: OAuthError) -> Response:
    """The RFC 6749 answer, after the refusal's event (a client that could not be verified
    is counted, not named)."""
    await units(request).settle_failure(draft(request), error)
    return oauth_error_response(request, error)


async def _oauth_call(request: Request, endpoint: str, act: Action) -> Any:
    """Authenticate the client, then run `act` in one unit of work with the request's event.

    Three steps, so that nothing slow holds a connection: the client is looked up (and an
    assertion verified) in a read unit; a secret is checked with argon2 outside any unit, a
    bounded number at a time; the work and its event commit in a write unit. Before all of it,
    each source address has a budget of token requests, so unverified noise stays cheap."""
    rt = runtime(request)
    event = draft(request)
    runner = units(request)
    body = await request.body()
    authorization = request.headers.get("authorization")
    wait = await anyio.to_thread.run_sync(request.app.state.source_limiter.take, event.ip or "?")
    if wait is not None:
        raise OAuthError(
            "rate_limited", "too many requests", status=429, headers=retry_after_header(wait)
        )
    form = _parse_form(request, body)
    presented = await runner.run(
        "read",
        event,
        lambda tx: rt.authenticator.present(
            tx.session, authorization=authorization, form=form, endpoint=endpoint, now=event.at
        ),
        audited=False,
    )
    if presented.secret is not None:
        await runner.slow(rt.authenticator.check_secret, presented)
    authenticated = presented.authenticated()
    client, partner = authenticated.client, authenticated.partner
    event.who(client_id=client.id, partner=partner.id, role=client.role, purpose=None)
    wait = await anyio.to_thread.run_sync(request.app.state.rate_limiter.take, "oauth:" + client.id)
    if wait is not None:
        raise OAuthError(
            "rate_limited", "too many requests", status=429, headers=retry_after_header(wait)
        )

    def finish(tx: Tx) -> Any:
        # A verified assertion is single-use, also when the request it came with is refused.
        if authenticated.assertion_jti and authenticated.assertion_expires:
            remember_assertion(
                tx.session, client.id, authenticated.assertion_jti, authenticated.assertion_expires
            )
        try:
            result = act(tx, authenticated, form)
        except OAuthError as refused:
            record(tx.session, event, "deny", refused.error)
            return refused
        record(tx.session, event, "allow")
        return result

    answer = await runner.run("write", event, finish, audited=False)
    event.settled = True
    if isinstance(answer, OAuthError):
        raise answer
    return answer


@router.post(
    "/token",
    summary="Get an access token (client credentials grant)",
    description=(
        "Client authentication is `private_key_jwt` (RFC 7523: an ES256 assertion with "
        "`iss` = `sub` = client id, `aud` = this endpoint or the issuer, `exp` at most "
        "WIJKDEEL_ASSERTION_MAX_LIFETIME ahead (default an hour), a `jti` never used before) "
        "or HTTP Basic with the client secret. "
        "Partner clients must ask for one `purpose` of an active agreement they are party to, "
        "unless they ask for `scope=agreements:accept` alone (deciding on agreements needs no "
        "purpose); that scope is never part of the default set. "
        "With `actor_token` the token acts for a professional: it carries `act: {sub}`, every "
        "audit event of its requests names the professional, and a signal sent with it records "
        "them as `senderProfessional` (their details are kept sealed per partner, not in the "
        "token). A wrong, foreign, expired or reused actor token is refused (`invalid_grant`)."
    ),
    response_model=TokenResponse,
    responses={**_ERRORS, "429": {"description": "rate limited"}},
    openapi_extra={
        **audited("token.issue", "token"),
        "requestBody": _form_body(
            ("grant_type", "client_credentials", True),
            ("scope", "space-separated; default: every scope of the client's role", False),
            (
                "purpose",
                "required for partner clients (except for scope agreements:accept alone): the "
                "one purpose the token is for",
                False,
            ),
            *_CLIENT_AUTH,
            *_ACTOR,
        ),
    },
)
async def token(request: Request) -> Response:
    rt = runtime(request)
    event = draft(request)

    def issue(tx: Tx, authenticated: Authenticated, form: dict[str, str]) -> TokenResponse:
        if form.get("grant_type") != GRANT_TYPE:
            raise OAuthError(
                "unsupported_grant_type" if form.get("grant_type") else "invalid_request",
                "grant_type must be client_credentials",
            )
        purpose = form.get("purpose") or None
        if purpose is not None and not is_slug(purpose):
            # Refused before it reaches the event: what a caller types is never stored.
            raise OAuthError(
                "invalid_scope", "purpose is not a purpose word of an agreement (a slug)"
            )
        event.purpose = purpose
        actor = _actor(tx, authenticated, form)
        granted = tokens.issue(
            authenticated.client,
            authenticated.partner,
            scope=form.get("scope"),
            purpose=purpose,
            allowed_purposes=lambda: purposes_for(tx.view.policy, authenticated.partner.id, tx.now),
            keys=rt.signing_keys,
            issuer=rt.settings.issuer,
            audience=rt.settings.audience,
            ttl=rt.settings.token_ttl,
            now=event.at,
            actor=actor.sub if actor else None,
        )
        if actor is not None:
            professionals.remember(
                tx.session,
                rt.keyrings,
                partner_id=authenticated.partner.id,
                sub=actor.sub,
                details=actor.details(),
                now=tx.now,
            )
        event.resource_id = granted.jti
        return TokenResponse(
            access_token=granted.access_token,
            expires_in=granted.expires_in,
            scope=granted.scope,
            purpose=granted.purpose,
        )

    try:
        answer = await _oauth_call(request, rt.settings.token_endpoint, issue)
    except OAuthError as error:
        return await _refused(request, error)
    return Response(
        answer.model_dump_json(exclude_none=True), media_type="application/json", headers=NO_STORE
    )


def _actor(tx: Tx, authenticated: Authenticated, form: dict[str, str]) -> Actor | None:
    """The professional a token request acts for, verified and its token used up; None when
    it acts for nobody."""
    value, kind = form.get("actor_token"), form.get("actor_token_type")
    if value is None and kind is None:
        return None
    if not value or kind != ACTOR_TOKEN_TYPE:
        raise OAuthError(
            "invalid_request", f"actor_token needs actor_token_type={ACTOR_TOKEN_TYPE}"
        )
    if authenticated.client.role != "partner":
        raise OAuthError("invalid_request", "only a partner client acts for a professional")
    actor = tx.runtime.authenticator.actor(authenticated.client, value, tx.now)
    # Single use, also when the request is refused further on (as a client assertion is).
    remember_actor(tx.session, authenticated.client.id, actor)
    tx.audit.actor_professional = actor.sub
    return actor


def _presented(rt: Runtime, form: dict[str, str], event: AuditDraft) -> dict[str, Any] | None:
    """The claims of the `token` parameter of revoke and introspect, or None when it is not a
    valid token of ours; the audit event names its jti."""
    value = form.get("token")
    if not value:
        raise OAuthError("invalid_request", "token is required")
    try:
        claims = rt.verifier.verify(value, event.at)
    except jwt.TokenError:
        return None
    event.resource_id = str(claims["jti"])[:128]
    return claims


@router.post(
    "/revoke",
    summary="Revoke an access token (RFC 7009)",
    description="Only the client a token was issued to may revoke it. Unknown or expired "
    "tokens are answered with 200, as RFC 7009 asks.",
    responses={
        200: {"description": "revoked (or nothing to revoke)", "content": {"application/json": {}}},
        **_ERRORS,
    },
    openapi_extra={
        **audited("token.revoke", "token"),
        "requestBody": _form_body(
            ("token", "the access token to revoke", True),
            ("token_type_hint", "access_token", False),
            *_CLIENT_AUTH,
        ),
    },
)
async def revoke(request: Request) -> Response:
    rt = runtime(request)
    event = draft(request)

    def act(tx: Tx, authenticated: Authenticated, form: dict[str, str]) -> None:
        claims = _presented(rt, form, event)
        if claims is None:
            return  # RFC 7009 §2.2: an invalid token needs no revocation
        if claims["client_id"] != authenticated.client.id:
            raise OAuthError("unauthorized_client", "a token can only be revoked by its client")
        tokens.revoke(tx.session, claims)

    try:
        await _oauth_call(request, f"{rt.settings.issuer}/v1/oauth/revoke", act)
    except OAuthError as error:
        return await _refused(request, error)
    return Response(b"{}", media_type="application/json", headers=NO_STORE)


@router.post(
    "/introspect",
    summary="Introspect an access token (RFC 7662)",
    description="Partner clients learn about tokens of their own partner only; for any other "
    'token the answer is `{"active": false}`.',
    response_model=Introspection,
    responses=_ERRORS,
    openapi_extra={
        **audited("token.introspect", "token"),
        "requestBody": _form_body(
            ("token", "the access token to introspect", True),
            ("token_type_hint", "access_token", False),
            *_CLIENT_AUTH,
        ),
    },
)
async def introspect(request: Request) -> Response:
    rt = runtime(request)
    event = draft(request)

    def act(tx: Tx, authenticated: Authenticated, form: dict[str, str]) -> Introspection:
        claims = _presented(rt, form, event)
        try:
            if claims is None:
                return Introspection(active=False)
            tokens.caller_from(tx.raw, claims)
        except DomainError:
            return Introspection(active=False)
        own = claims["partner"] == authenticated.partner.id
        if authenticated.client.role == "partner" and not own:
            return Introspection(active=False)
        return Introspection(
            active=True,
            token_type="Bearer",  # noqa: S106  (a token type, not a secret)
            **{
                name: claims.get(name)
                for name in (
                    "client_id",
                    "sub",
                    "scope",
                    "exp",
                    "iat",
                    "iss",
                    "aud",
                    "jti",
                    "partner",
                    "role",
                    "purpose",
                    "act",
                )
            },
        )

    try:
        answer = await _oauth_call(request, f"{rt.settings.issuer}/v1/oauth/introspect", act)
    except OAuthError as error:
        return await _refused(request, error)
    return Response(
        answer.model_dump_json(exclude_none=True), media_type="application/json", headers=NO_STORE
    )


__all__ = ["OAuthErrorBody", "router"]
