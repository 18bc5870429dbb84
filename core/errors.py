"""Domain errors: raised by domain code, turned into problem+json by the API layer alone."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        reasons: Sequence[str] = (),
        invalid_params: Sequence[dict[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.reasons = tuple(reasons)
        self.invalid_params = tuple(invalid_params)
        self.headers = headers or {}


class BadRequest(DomainError):
    """A malformed parameter (query, path, header); bodies that break rules are Invalid."""


class Invalid(DomainError):
    status = 422
    code = "validation_failed"
    title = "Invalid input"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class NotAcceptable(DomainError):
    status = 406
    code = "not_acceptable"
    title = "Not acceptable"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(DomainError):
    status = 410
    code = "gone"
    title = "Gone"


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class Unavailable(DomainError):
    """The service is full (no connection or write slot within the bound) or its database is
    out of reach: try again later, never a hang."""

    status = 503
    code = "overloaded"
    title = "Service unavailable"

    def __init__(self, detail: str, *, code: str | None = None, retry_after: int = 1) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after))})
