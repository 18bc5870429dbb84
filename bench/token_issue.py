"""Token issue with `private_key_jwt`.

The issue's ratio is measured in-process: wijkdeel's cryptographic work per token — verify the
client's assertion and sign the access token through `auth/jwt.py` (`auth.jwt.verify`,
`auth.jwt.sign`, keys built once) — against one raw `cryptography` ECDSA P-256 verify + one sign,
in alternating rounds. Beside it, the full `POST /v1/oauth/token` rate through the real server
(assertion checks, single-use jti recorded, client and partner looked up, purpose checked against
the agreements, audit event written) is reported for orientation.
"""

from __future__ import annotations

import base64
import secrets
import sys
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jose import jwt as jose_jwt

from bench import load
from bench.load import LoadSpec
from bench.report import Figure, median
from bench.seed import World, ec_key

ISSUER = "http://127.0.0.1:8000"


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _rate(work: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - started)


def in_process(*, rounds: int, count: int) -> Figure:
    from auth import jwt

    client_pem, client_jwk = ec_key()
    server_pem, _ = ec_key()
    client_id = "cl_bench"
    now = int(time.time())
    assertion = jose_jwt.encode(
        {
            "iss": client_id,
            "sub": client_id,
            "aud": f"{ISSUER}/v1/oauth/token",
            "iat": now,
            "exp": now + 3600,
            "jti": secrets.token_urlsafe(16),
        },
        client_pem,
        algorithm="ES256",
        headers={"kid": "k1"},
    )
    keys = {"k1": jwt.public_key({**client_jwk, "kid": "k1"})}
    signer = jwt.private_key(server_pem.encode())
    access_claims = {
        "iss": ISSUER,
        "sub": client_id,
        "aud": f"{ISSUER}/v1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(18),
        "client_id": client_id,
        "partner": "kinderwerk-noord",
        "role": "partner",
        "scope": "signals:read signals:write consents:read consents:write subscriptions",
        "purpose": "signalering",
    }

    def wijkdeel() -> None:
        jwt.verify(
            assertion,
            keys,
            typ=(None, "JWT", "client-authentication+jwt"),
            audience={f"{ISSUER}/v1/oauth/token", ISSUER},
            issuer=client_id,
            leeway=30,
            required=("sub", "jti", "exp"),
            now=time.time(),
        )
        jwt.sign(access_claims, signer, kid="s1", typ="at+jwt")

    # The same operations raw: one ECDSA P-256 verify of the assertion's signature, one sign.
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    client_key = load_pem_private_key(client_pem.encode(), None)
    server_key = load_pem_private_key(server_pem.encode(), None)
    assert isinstance(client_key, ec.EllipticCurvePrivateKey)
    assert isinstance(server_key, ec.EllipticCurvePrivateKey)
    public = client_key.public_key()
    header, payload, signature = assertion.split(".")
    raw_sig = _b64decode(signature)
    der = encode_dss_signature(
        int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big")
    )
    signing_input = f"{header}.{payload}".encode()
    to_sign = signing_input  # a message of the same size as an access token's signing input
    algorithm = ec.ECDSA(hashes.SHA256())

    def raw() -> None:
        public.verify(der, signing_input, algorithm)
        server_key.sign(to_sign, algorithm)

    wijkdeel()
    raw()
    ratios, w_rates, r_rates = [], [], []
    for _ in range(rounds):
        r = _rate(raw, count)
        w = _rate(wijkdeel, count)
        r_rates.append(r)
        w_rates.append(w)
        ratios.append(w / r)
    ratio = median(ratios)
    w_us, r_us = 1e6 / median(w_rates), 1e6 / median(r_rates)
    print(
        f"    token in-process: auth.jwt verify+sign {w_us:.0f} µs, raw {r_us:.0f} µs",
        file=sys.stderr,
    )
    return Figure(
        "token issue, private_key_jwt, in-process ÷ raw ECDSA verify+sign",
        f"{ratio:.2f}x ({median(w_rates):,.0f} vs {median(r_rates):,.0f} /s; "
        f"{w_us:.0f} vs {r_us:.0f} µs)",
        "≥ 0.5x",
        "yes" if ratio >= 0.5 else "no",
        ratio,
        {
            "per_round_ratios": [round(x, 3) for x in ratios],
            "wijkdeel_per_s": [round(x) for x in w_rates],
            "raw_per_s": [round(x) for x in r_rates],
            "ops_per_round": count,
        },
    )


def over_http(world: World, backend: str, *, seconds: float, connections: int) -> Figure:
    client = world.kinderwerk
    spec = LoadSpec(
        "token",
        world.base,
        "/v1/oauth/token",
        seconds=seconds,
        connections=connections,
        client_id=client.client_id,
        private_pem=client.private_pem,
        kid=client.kid,
        purpose="signalering",
    )
    result = load.run(spec)
    print(f"    token over HTTP ({backend}): {result.brief()}", file=sys.stderr)
    errors = f" [errors: {result.errors}]" if result.error_count else ""
    return Figure(
        f"POST /v1/oauth/token, private_key_jwt, over HTTP ({backend})",
        f"{result.rps:,.0f} tokens/s, p99 {result.p99_ms:.1f} ms{errors}",
        "(orientation; the ratio above is the target)",
        "info",
        None,
        {"load": result.as_dict()},
    )
