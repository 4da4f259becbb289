"""``python -m smtp_core.devserver``: the same as the ``smtp-devserver`` command."""

import sys

from .cli import main

sys.exit(main())
