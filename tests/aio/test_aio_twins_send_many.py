"""tests/pythonic/test_send_many.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
    "test_after_starttls_python_timeouts_and_a_batch_still_works": "kernel socket timeouts are the blocking transport's",
    "test_connect_uses_kernel_timeouts_and_dial_does_not": "kernel socket timeouts are the blocking transport's",
    "test_a_caller_who_removes_the_bound_gets_python_timeouts_back": "kernel socket timeouts are the blocking transport's",
    "test_a_trickled_reply_cannot_outlast_its_timeout_with_kernel_timeouts": "drives the blocking Transport directly; the async trickle twin is in test_aio.py",
    "test_a_number_set_on_the_client_keeps_the_kernel_deadline": "kernel socket timeouts are the blocking transport's",
}

globals().update(twins("pythonic", "test_send_many", SKIP))
