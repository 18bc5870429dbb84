"""The ID token check refuses every token that is not for us, from our provider, fresh and
answering our nonce; the flow cookie opens only unaltered and fresh."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from people import oidc
from people.oidc import Flow, OidcError

ISSUER = "https://idp.gemeente.example"
CLIENT = "wijkdeel"
NONCE = "n-0S6_WzA2Mj"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
JWKS = {"keys": [KEY.as_dict(private=False)]}


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT,
        "exp": int(NOW.timestamp()) + 300,
        "iat": int(NOW.timestamp()),
        "nonce": NONCE,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def token(body: dict[str, Any], *, key: Any = KEY, alg: str = "RS256", **header: Any) -> str:
    return jwt.encode({"alg": alg, "kid": "k1", **header}, body, key)


def check(id_token: str, *, now: datetime = NOW, nonce: str = NONCE) -> dict[str, Any]:
    return oidc.validate_id_token(
        id_token,
        keys=JWKS,
        issuer=ISSUER,
        client_id=CLIENT,
        nonce=nonce,
        access_token=None,
        algorithms=("RS256", "ES256"),
        now=now,
    )


def test_a_good_token_gives_its_subject() -> None:
    assert check(token(claims()))["sub"] == "248289761001"
    assert check(token(claims(aud=[CLIENT])))["sub"] == "248289761001"


@pytest.mark.parametrize(
    "body",
    [
        claims(aud="another-client"),
        claims(aud=["another-client"]),
        claims(iss="https://evil.example"),
        claims(iss=ISSUER + "/"),
        claims(exp=int(NOW.timestamp()) - 61),
        claims(iat=int(NOW.timestamp()) + 3600),
        claims(nonce="another-nonce"),
        claims(nonce=None),
        claims(sub=None),
        claims(exp=None),
        claims(aud=None),
        claims(aud=[CLIENT, "other"], azp="other"),
    ],
    ids=[
        "wrong-audience",
        "wrong-audience-list",
        "wrong-issuer",
        "issuer-not-exact",
        "expired",
        "issued-in-future",
        "wrong-nonce",
        "no-nonce",
        "no-subject",
        "no-expiry",
        "no-audience",
        "other-authorized-party",
    ],
)
def test_a_token_with_bad_claims_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(OidcError):
        check(token(body))


def test_a_token_signed_by_another_key_is_refused() -> None:
    with pytest.raises(OidcError, match="signature"):
        check(token(claims(), key=OTHER_KEY))


def test_algorithms_outside_the_allow_list_are_refused() -> None:
    # HS256 keyed with the provider's public key (the classic confusion) and an EC token when
    # only RS256 is accepted.
    signing_input = (base64url({"alg": "HS256", "kid": "k1"}) + "." + base64url(claims())).encode()
    mac = hmac.new(KEY.as_pem(private=False), signing_input, hashlib.sha256).digest()
    forged = signing_input.decode() + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")
    with pytest.raises(OidcError):
        check(forged)
    ec = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    with pytest.raises(OidcError):
        oidc.validate_id_token(
            token(claims(), key=ec, alg="ES256"),
            keys={"keys": [ec.as_dict(private=False)]},
            issuer=ISSUER,
            client_id=CLIENT,
            nonce=NONCE,
            access_token=None,
            algorithms=("RS256",),
            now=NOW,
        )


def base64url(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_an_unsigned_token_is_refused() -> None:
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    body = token(claims()).split(".")[1]
    with pytest.raises(OidcError):
        check(f"{header}.{body}.")


def test_a_token_of_another_type_is_refused() -> None:
    with pytest.raises(OidcError, match="type"):
        check(token(claims(), typ="at+jwt"))


@pytest.mark.parametrize("junk", ["", "a.b.c", "x" * 5000, "....", "eyJ9.eyJ9.AA"])
def test_junk_is_refused(junk: str) -> None:
    with pytest.raises(OidcError):
        check(junk)


def test_the_flow_cookie_opens_only_unaltered_and_fresh() -> None:
    key = bytes(range(32))
    flow = Flow("state", "nonce", "verifier", "/console/people", started=time.time())
    sealed = oidc.seal_flow(key, flow)
    assert "state" not in sealed and "/console" not in sealed
    now = datetime.fromtimestamp(flow.started, UTC)
    assert oidc.open_flow(key, sealed, now) == flow
    assert oidc.open_flow(key, sealed, now + timedelta(minutes=11)) is None
    assert oidc.open_flow(bytes(32), sealed, now) is None
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert oidc.open_flow(key, tampered, now) is None
    assert oidc.open_flow(key, None, now) is None
    assert oidc.open_flow(key, "not-base64!", now) is None


def relying_party() -> oidc.RelyingParty:
    from wijkdeel.settings import Settings

    rp = oidc.RelyingParty(
        Settings(oidc_issuer=ISSUER, oidc_client_id=CLIENT, oidc_client_secret="s")
    )
    # Metadata as discovery would have found it; nothing below reaches the network.
    rp._metadata = oidc.ProviderMetadata(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/auth",
        token_endpoint="http://127.0.0.1:9/token",
        jwks_uri=f"{ISSUER}/jwks",
        algorithms=("RS256",),
    )
    rp._metadata_at = time.monotonic()
    return rp


def test_the_authorization_request_carries_pkce_state_and_nonce() -> None:
    url, flow = relying_party().start("/console/people", NOW)
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert url.startswith(f"{ISSUER}/auth?")
    assert query["response_type"] == "code" and query["client_id"] == CLIENT
    assert query["state"] == flow.state and query["nonce"] == flow.nonce
    assert query["code_challenge_method"] == "S256"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(flow.verifier.encode()).digest())
    assert query["code_challenge"] == challenge.decode().rstrip("=")
    assert flow.verifier not in url and flow.next == "/console/people"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"state": "forged", "code": "c"}, "state_mismatch"),
        ({"code": "c"}, "state_mismatch"),
        ({"state": "s", "code": "c", "iss": "https://evil.example"}, "issuer_mismatch"),
        ({"state": "s", "error": "access_denied"}, "provider_refused"),
        ({"state": "s"}, "missing_code"),
        ({"state": "s", "code": "c"}, "code_refused"),  # nobody listens on port 9
    ],
)
def test_an_answer_that_is_not_ours_is_refused(params: dict[str, str], reason: str) -> None:
    flow = Flow("s", NONCE, "verifier", "/console", started=NOW.timestamp())
    with pytest.raises(OidcError) as refused:
        relying_party().finish(flow, params, NOW)
    assert refused.value.reason == reason
