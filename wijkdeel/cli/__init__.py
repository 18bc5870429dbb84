"""The `wijkdeel` command."""

from wijkdeel.cli.main import app, main

__all__ = ["app", "main"]
