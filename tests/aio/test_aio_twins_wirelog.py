"""tests/client/test_wirelog.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import blocking_module, twins

blocking = blocking_module("client", "test_wirelog")

SKIP = {
}

globals().update(twins(blocking, SKIP))
