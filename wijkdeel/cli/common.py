"""What every command shares: settings errors as one line, the installation's runtime, operator
audit events, and how output is shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError

from audit.events import AuditDraft
from wijkdeel import installation, logs
from wijkdeel.runtime import Runtime, build_runtime
from wijkdeel.settings import ConfigurationError, Settings, get_settings


def command_group(help: str) -> typer.Typer:
    """A group of commands. Plain help (click's, not rich's): flags read as flags, not as
    options taking a `<bool>`, and help piped to a file stays plain text."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)


def configure_logging() -> None:
    try:
        settings = get_settings()
    except ValidationError:
        logs.configure()  # the command itself reports the bad setting
        return
    logs.configure(level=settings.log_level, form=settings.log_form)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"wijkdeel: {message}", err=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        settings = get_settings()
        settings.check_production()
    except ConfigurationError as error:
        raise fail(str(error)) from None
    except ValidationError as error:
        first = error.errors()[0]
        name = "WIJKDEEL_" + "_".join(str(part) for part in first["loc"]).upper()
        raise fail(f"{name}: {first['msg']}") from None
    return settings


@contextmanager
def open_runtime(
    settings: Settings | None = None, *, require_schema: bool = True, create_key: bool = False
) -> Iterator[Runtime]:
    """The runtime of the installation the settings name; refuses in one line when there is
    none. Only `bootstrap` and `demo` pass `create_key` (a first development key, on a
    database that holds no keys yet)."""
    settings = settings or load_settings()
    try:
        db = installation.open_database(settings)
    except ConfigurationError as error:
        raise fail(str(error)) from None
    try:
        if require_schema:
            installation.check_schema(db)
        root = installation.root_key(settings, db, create=create_key)
        runtime = build_runtime(settings, db=db, root_key=root)
        if require_schema:
            # The first keys, if this database has none yet (an explicit start-up step).
            runtime.bootstrap()
    except ConfigurationError as error:
        db.dispose()
        raise fail(str(error)) from None
    try:
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
