"""tests/hostile/test_hostile_ehlo.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
}

globals().update(twins("hostile", "test_hostile_ehlo", SKIP))
