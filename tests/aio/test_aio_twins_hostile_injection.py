"""tests/hostile/test_hostile_injection.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
    "test_namespace_returns_go_error_and_sends_nothing": "the Hy namespace go-std.net.smtp is Go's and blocking (it dials with smtp_core.dial's client_class)",
    "test_namespace_auth_with_hostile_mechanism_name": "the Hy namespace go-std.net.smtp is Go's and blocking (it dials with smtp_core.dial's client_class)",
}

globals().update(twins("hostile", "test_hostile_injection", SKIP))
