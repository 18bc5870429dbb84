"""Alembic environment: runs on the connection `records.migrate` hands it."""

from alembic import context

import records.models  # noqa: F401  (registers every table on the metadata)
from records.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `wijkdeel migrate`")
run_migrations_online()
