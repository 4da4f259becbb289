"""``python -m bench.clients '<json spec>'``: run one measured client."""

import sys

from bench.clients import main

sys.exit(main())
