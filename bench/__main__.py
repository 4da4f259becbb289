"""``python -m bench``: run the whole benchmark (see :mod:`bench.cli`)."""

import sys

from bench.cli import main

sys.exit(main())
