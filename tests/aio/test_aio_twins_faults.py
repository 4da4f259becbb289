"""tests/client/test_faults.py, every test run again on smtp_core.aio (see tests/helpers/aio_twins.py)."""

from aio_twins import twins

SKIP = {
    "test_end_of_data_short_of_its_last_byte_is_not_uncertain": "swaps the blocking transport's socket for a faulty one (the async driver's end-of-data count is conservative: see AsyncTransport.send_partial)",
    "test_failed_write_of_the_end_of_data_is_not_uncertain": "swaps the blocking transport's socket for a faulty one (the async driver's end-of-data count is conservative: see AsyncTransport.send_partial)",
    "test_failure_in_the_next_envelope_after_the_end_of_data_is_uncertain": "swaps the blocking transport's socket for a faulty one (the async driver's end-of-data count is conservative: see AsyncTransport.send_partial)",
    "test_no_reply_after_a_written_end_of_data_is_uncertain": "swaps the blocking transport's socket for a faulty one (the async driver's end-of-data count is conservative: see AsyncTransport.send_partial)",
}

globals().update(twins("client", "test_faults", SKIP))
