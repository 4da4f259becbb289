"""tests/test_hostile_starttls.py, every test run again on smtp_core.aio (see tests/aio_twins.py)."""

import test_hostile_starttls as blocking
from aio_twins import twins

SKIP = {
    "test_namespace_starttls_discards_injected_plaintext": "the Hy namespace go-std.net.smtp is Go's and blocking (it dials with smtp_core.dial's client_class)",
}

globals().update(twins(blocking, SKIP))
