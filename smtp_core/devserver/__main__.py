"""``python -m smtp_core.devserver``: the same as the ``smtp-devserver`` command."""

import sys

from .server import main

sys.exit(main())
