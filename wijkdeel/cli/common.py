"""What every command shares: settings errors as one line, the runtime, operator audit events."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from audit.events import AuditDraft
from records import migrate
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.settings import ConfigurationError, get_settings


def configure_logging() -> None:
    level = get_settings().log_level.upper() if _settings_ok() else "INFO"
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # Alembic narrates every connection; `wijkdeel migrate` reports the outcome itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _settings_ok() -> bool:
    try:
        get_settings()
    except Exception:
        return False
    return True


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"wijkdeel: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def open_runtime(*, require_schema: bool = True) -> Iterator[Runtime]:
    try:
        runtime = build_runtime()
    except ConfigurationError as error:
        raise fail(str(error)) from None
    except Exception as error:  # pydantic's ValidationError: one line per bad setting
        raise fail(f"invalid settings: {error}".splitlines()[0]) from None
    try:
        if require_schema:
            current, head = migrate.current_revision(runtime.db), migrate.head_revision()
            if current != head:
                raise fail("the database schema is not current; run `wijkdeel migrate` first")
            # The first keys, if this database has none yet (an explicit start-up step).
            runtime.bootstrap()
        yield runtime
    finally:
        runtime.close()


def operator_event(
    runtime: Runtime, action: str, resource_type: str, resource_id: str
) -> AuditDraft:
    """The audit draft of a change made from the command line (no client, no token)."""
    draft = AuditDraft(action=action, at=runtime.now(), resource_type=resource_type)
    draft.resource_id = resource_id
    draft.role = "operator"
    draft.reason = "cli"
    return draft
