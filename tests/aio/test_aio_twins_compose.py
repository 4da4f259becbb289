"""tests/mail/test_compose.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
    "test_issue_example_through_the_data_writer": "the Go namespace's DATA writer (smtp_core.dial with client_class): blocking, as Joker's",
}

globals().update(twins("mail", "test_compose", SKIP))
