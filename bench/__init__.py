"""wijkdeel's benchmark suite: `python -m bench` (or `make bench`); see bench/README.md.

Nothing here is imported by the service or by its tests. Every figure is measured against a real
`wijkdeel serve` started as a user would start it, loaded from a second process on 127.0.0.1.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
