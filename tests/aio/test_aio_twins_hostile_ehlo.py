"""tests/hostile/test_hostile_ehlo.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import blocking_module, twins

blocking = blocking_module("hostile", "test_hostile_ehlo")

SKIP = {
}

globals().update(twins(blocking, SKIP))
