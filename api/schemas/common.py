"""Shared schema pieces: camelCase JSON, strict request bodies, pages, problems."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

T = TypeVar("T")

# A nullable date as one schema with `format: date` (the ADR linter does not look into anyOf).
OptionalDate = Annotated[
    date | None, WithJsonSchema({"type": ["string", "null"], "format": "date"})
]

SLUG_PATTERN = r"^[a-z0-9-]{2,64}$"


class Body(BaseModel):
    """A request body: camelCase names only, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", str_strip_whitespace=False)


class Public(BaseModel):
    """A response body: camelCase names, exactly the fields declared."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Page(Public, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class InvalidParam(BaseModel):
    in_: str = Field(alias="in", examples=["body"])
    name: str = Field(examples=["kind"])
    code: str = Field(examples=["literal_error"])
    reason: str = Field(examples=["Input should be 'kinderwerk', 'school' or 'wijkteam'"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:wijkdeel:problem:insufficient_scope",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "this needs a token with scope admin",
                    "code": "insufficient_scope",
                }
            ]
        }
    )

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    code: str = Field(description="a stable machine word")
    reasons: list[str] | None = Field(
        default=None, description="policy denials: stable words such as no_agreement"
    )
    invalidParams: list[InvalidParam] | None = Field(
        default=None, description="which fields broke which rule; values are never echoed"
    )


def present(values: Any) -> Any:
    """A body without its null members (at every depth): an optional field a caller may not see
    or that has no value is absent, as API.md says - while the page's own `nextCursor: null`,
    set on the page model, stays (routes serialise with exclude_unset, not exclude_none)."""
    if isinstance(values, dict):
        return {key: present(value) for key, value in values.items() if value is not None}
    if isinstance(values, list):
        return [present(value) for value in values]
    return values
