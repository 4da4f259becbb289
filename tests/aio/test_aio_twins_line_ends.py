"""tests/pythonic/test_line_ends.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
}

globals().update(twins("pythonic", "test_line_ends", SKIP))
