"""tests/test_legacy_messages.py, every test run again on smtp_core.aio (see tests/aio_twins.py)."""

import test_legacy_messages as blocking
from aio_twins import twins

SKIP = {
}

globals().update(twins(blocking, SKIP))
