"""Which installation a process works on, and one-line refusals when it is not there.

An installation is a database (WIJKDEEL_DATABASE_URL, or the SQLite file in WIJKDEEL_VAR_DIR)
and the root key that opens its keys (WIJKDEEL_MASTER_KEY, or in development `master.key` in
WIJKDEEL_VAR_DIR). A command started in the wrong directory must say so, not create an empty
database and a fresh root key there: the data of the real installation would look lost.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import select

from records import migrate
from records.db import Database
from records.keyring import SealError, read_keyring
from records.models import MasterKey
from wijkdeel.runtime import capacity_of
from wijkdeel.settings import ConfigurationError, Settings


class NoInstallation(ConfigurationError):
    """The settings point at no database, or at one that cannot be used."""


def database_url(settings: Settings) -> URL:
    try:
        return make_url(settings.effective_database_url)
    except ArgumentError:
        raise NoInstallation("WIJKDEEL_DATABASE_URL is not a database URL") from None


def sqlite_file(url: URL) -> Path | None:
    """The SQLite file of a database URL, or None when the database is not a SQLite file."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def open_database(settings: Settings, *, create: bool = False) -> Database:
    """The installation's database; refuses when a SQLite file is missing (unless `create`,
    which `migrate` passes) and when the server cannot be reached."""
    path = sqlite_file(database_url(settings))
    if path is not None and not create and not path.exists():
        raise NoInstallation(
            f"no wijkdeel installation: {path.resolve()} does not exist. Set WIJKDEEL_VAR_DIR "
            "(or WIJKDEEL_DATABASE_URL) to your installation's, or run `wijkdeel migrate` "
            "to create one here"
        )
    try:
        db = Database(settings.effective_database_url, capacity=capacity_of(settings))
    except (ArgumentError, ImportError) as error:  # an unknown dialect or driver
        raise NoInstallation(f"WIJKDEEL_DATABASE_URL is not usable: {error}") from None
    try:
        with db.engine.connect():
            pass
    except DBAPIError as error:
        db.dispose()
        raise NoInstallation(unreachable(db, error)) from None
    return db


def unreachable(db: Database, error: DBAPIError) -> str:
    """One line for a database that cannot be used: where, and the driver's reason."""
    where = db.url.render_as_string(hide_password=True)
    reason = _reason(error)
    missing = re.search(r'database "([^"]+)" does not exist', reason)
    if missing:
        return (
            f"the database {missing.group(1)} does not exist on {db.url.host or 'localhost'}"
            f":{db.url.port or 5432}; create it (createdb {missing.group(1)}) and run "
            "`wijkdeel migrate`"
        )
    return f"cannot use the database {where}: {reason}"


def _reason(error: DBAPIError) -> str:
    """The driver's reason, first line only, without the address the caller already shows."""
    lines = [line.strip() for line in str(error.orig).splitlines() if line.strip()]
    line = lines[0] if lines else type(error.orig).__name__
    line = re.sub(r"^connection failed: connection to server at .*? failed: ", "", line)
    return re.sub(r"^(FATAL|ERROR):\s*", "", line)


def check_schema(db: Database) -> None:
    try:
        current = migrate.current_revision(db)
    except DBAPIError as error:
        raise NoInstallation(unreachable(db, error)) from None
    head = migrate.head_revision()
    if current == head:
        return
    if current is None:
        raise NoInstallation(
            "the database has no wijkdeel schema; run `wijkdeel migrate` first (or point "
            "WIJKDEEL_DATABASE_URL / WIJKDEEL_VAR_DIR at your installation)"
        )
    if not migrate.is_known(current):
        raise NoInstallation(
            f"the database is at revision {current}, newer than this wijkdeel knows "
            f"({head}); run the wijkdeel version that migrated it"
        )
    raise NoInstallation(
        f"the database schema is at revision {current}, not {head}; run `wijkdeel migrate`"
    )


def has_master_keys(db: Database) -> bool:
    with db.read_session() as session:
        return session.exec(select(MasterKey.version).limit(1)).first() is not None


def root_key(settings: Settings, db: Database, *, create: bool = False) -> bytes:
    """The root key, checked against the master keys the database already holds. A missing
    development key is created only when `create` and the database holds no keys yet."""
    keys_exist = has_master_keys(db)
    key = settings.root_key(create=create and not keys_exist)
    if keys_exist:
        with db.read_session() as session:
            try:
                read_keyring(session, key)
            except SealError:
                raise NoInstallation(
                    "the master key does not open this database's keys: WIJKDEEL_MASTER_KEY "
                    "(or master.key in WIJKDEEL_VAR_DIR) belongs to another installation"
                ) from None
    return key
