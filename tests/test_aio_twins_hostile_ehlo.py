"""tests/test_hostile_ehlo.py, every test run again on smtp_core.aio (see tests/aio_twins.py)."""

import test_hostile_ehlo as blocking
from aio_twins import twins

SKIP = {
}

globals().update(twins(blocking, SKIP))
