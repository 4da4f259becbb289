"""tests/hostile/test_hostile_starttls.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
    "test_namespace_starttls_discards_injected_plaintext": "the Hy namespace go-std.net.smtp is Go's and blocking (it dials with smtp_core.dial's client_class)",
}

globals().update(twins("hostile", "test_hostile_starttls", SKIP))
