"""tests/mail/test_legacy_messages.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import blocking_module, twins

blocking = blocking_module("mail", "test_legacy_messages")

SKIP = {
}

globals().update(twins(blocking, SKIP))
