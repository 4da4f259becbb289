"""tests/pythonic/test_mechanisms.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
}

globals().update(twins("pythonic", "test_mechanisms", SKIP))
