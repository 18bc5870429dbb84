"""`python -m bench`: the benchmark suite (see bench/README.md)."""

import sys

from bench.suite import main

sys.exit(main())
