"""tests/client/test_wirelog.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
}

globals().update(twins("client", "test_wirelog", SKIP))
