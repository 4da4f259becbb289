"""``python -m bench``: run the whole benchmark (see :mod:`bench.run`)."""

import sys

from bench.run import main

sys.exit(main())
