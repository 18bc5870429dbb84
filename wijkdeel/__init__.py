"""wijkdeel: lawful sharing of care signals between neighbourhood partners."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wijkdeel")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "1.0.0"
