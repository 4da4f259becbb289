"""tests/pythonic/test_timeouts.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
    "test_nothing_blocks_forever_by_default": "watches the blocking socket's settimeout; the async twin is in test_aio.py",
}

globals().update(twins("pythonic", "test_timeouts", SKIP))
