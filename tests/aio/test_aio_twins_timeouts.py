"""tests/pythonic/test_timeouts.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import blocking_module, twins

blocking = blocking_module("pythonic", "test_timeouts")

SKIP = {
    "test_nothing_blocks_forever_by_default": "watches the blocking socket's settimeout; the async twin is in test_aio.py",
}

globals().update(twins(blocking, SKIP))
