"""tests/mail/test_idna.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import blocking_module, twins

blocking = blocking_module("mail", "test_idna")

SKIP = {
}

globals().update(twins(blocking, SKIP))
