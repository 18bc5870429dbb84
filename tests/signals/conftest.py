"""The API's fixtures: these tests set up their world through HTTP, then look underneath."""

from tests.api.conftest import admin, admin_token, app, client

__all__ = ["admin", "admin_token", "app", "client"]
