"""tests/mail/test_dkim.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
}

globals().update(twins("mail", "test_dkim", SKIP))
