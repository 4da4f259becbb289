"""tests/test_mechanisms.py, every test run again on smtp_core.aio (see tests/aio_twins.py)."""

import test_mechanisms as blocking
from aio_twins import twins

SKIP = {
}

globals().update(twins(blocking, SKIP))
