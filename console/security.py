"""What keeps the console's pages safe in a browser: cookies, CSRF tokens, the origin check,
safe return paths, and the response headers every page carries."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from wijkdeel.runtime import Runtime

R = TypeVar("R", bound=Response)

# No script, no inline style, nothing from elsewhere; forms post only to wijkdeel.
CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# Swagger UI: its own script and style files, served from /static; it fetches only
# /v1/openapi.json and the calls a reader tries out. React sets styles through the DOM, which
# style-src does not govern, so no 'unsafe-inline' is needed.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Where a sign-in may send the browser afterwards: a console path, nothing else (no scheme,
# no host, no `//`, no backslash, no query).
RETURN_PATH = re.compile(r"^/console(?:/[a-z0-9-]+)*$")
DEFAULT_RETURN = "/console"
CSRF_FIELD = "csrf"


def safe_return(path: str | None) -> str:
    if path and len(path) <= 200 and RETURN_PATH.match(path):
        return path
    return DEFAULT_RETURN


def page_headers(response: R, runtime: Runtime, *, csp: str = CONSOLE_CSP) -> R:
    headers = response.headers
    headers["Content-Security-Policy"] = csp
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # The OIDC callback's URL holds a code and a state: never hand it to another site in a
    # Referer. (Not "no-referrer": with it, browsers send `Origin: null` on the console's own
    # form posts, and the origin check could not tell them from forgeries.)
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cache-Control"] = "no-store"
    if runtime.settings.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


class Cookies:
    """Cookie names and attributes: `__Host-` names and Secure outside local development,
    always HttpOnly and SameSite=Lax (Lax, not Strict: the identity provider's redirect back
    is a cross-site navigation that must carry the sign-in flow's cookie)."""

    def __init__(self, runtime: Runtime) -> None:
        self.secure = runtime.settings.secure_cookies
        prefix = "__Host-" if self.secure else ""
        self.session = f"{prefix}wijkdeel-session"
        self.pre = f"{prefix}wijkdeel-pre"
        self.flow = f"{prefix}wijkdeel-oidc"

    def set(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite="lax")


def csrf_secret(runtime: Runtime) -> bytes:
    return runtime.keyrings.get().derive("console/csrf")


def flow_key(runtime: Runtime) -> bytes:
    return runtime.keyrings.get().derive("console/oidc-flow")


def new_pre_token() -> str:
    return secrets.token_urlsafe(32)


def pre_csrf(secret: bytes, pre: str) -> str:
    """The sign-in form's token: bound to the browser's pre-session cookie (double submit,
    signed so that a cookie planted by a sibling domain cannot be paired with a guess)."""
    return hmac.new(secret, b"pre|" + pre.encode(), hashlib.sha256).hexdigest()


def pre_csrf_matches(secret: bytes, pre: str | None, offered: str | None) -> bool:
    if not pre or not offered or len(pre) > 128:
        return False
    return hmac.compare_digest(pre_csrf(secret, pre).encode(), offered.encode())


def same_origin(request: Request) -> bool:
    """A state-changing request from another site is refused even before its token is read:
    browsers name the origin of every cross-site POST."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return hmac.compare_digest(origin.encode(), expected.encode())
