"""tests/pythonic/test_session.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import blocking_module, twins

blocking = blocking_module("pythonic", "test_session")

SKIP = {
}

globals().update(twins(blocking, SKIP))
