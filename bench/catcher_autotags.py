"""What automatic tagging costs at intake: the store with 0 and 10 filters.

``python -m bench.catcher_autotags [-n 400] [--rounds 9] [--smoke]`` stores
``-n`` 1 KiB messages (``bench.messages.make_message``, addressed to a plus
address) into a fresh :class:`~smtp_core.devserver.mailbox.store.MailStore`
per configuration and round, in process (no SMTP: the tagging is all that
differs), and prints microseconds per message for

* **none**: plus addresses and X-Tags off (the store as before tagging);
* **default**: Mailpit's defaults (X-Tags, plus addresses), no filter;
* **10 filters**: the defaults and ten ``--tag`` filters, half of them
  search terms the bytes do not hold (so the one SQL query runs).

The configurations run in the same rounds, in turn, and each round's
figures are paired with that round's **none**: the table gives the medians
of the paired differences, so the machine's noise (2 shared cores) mostly
cancels.  A second table times the tagging alone (``AutoTagger.arrival``
then ``PendingTags.tags``, its query on an index holding the message), the
part the store's commit does not drown.  Nothing is written; the figures go
to the notes and the docs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from smtp_core.devserver.mailbox import mailview
from smtp_core.devserver.mailbox.autotags import AutoTagger, filters_from_argument
from smtp_core.devserver.mailbox.store import INDEX_NAME, MailStore

from .messages import make_message

TEN_FILTERS = ("Fox=fox Dog=lazy Bench=from:bench@example.com Subj=subject:benchmark Sink=to:sink "
               "Nope1=subject:nothing Nope2=from:nobody Nope3=has:attachment Nope4=larger:1M Nope5=zebra")


def configurations() -> dict[str, AutoTagger]:
    return {"none": AutoTagger(plus_addresses=False, x_tags=False), "default": AutoTagger(),
            "10 filters": AutoTagger(filters_from_argument(TEN_FILTERS))}


def per_message_us(tagging: AutoTagger, messages: int, raw: bytes) -> float:
    """Microseconds of wall clock per ``MailStore.add`` into a fresh store."""
    with tempfile.TemporaryDirectory(prefix="bench-autotags-") as folder:
        store = MailStore(folder, max_messages=0, tagging=tagging)
        try:
            started = time.perf_counter()
            for _ in range(messages):
                store.add(raw, envelope_from="bench@example.com", envelope_to=["sink+bench@example.com"])
            return (time.perf_counter() - started) / messages * 1e6
        finally:
            store.close()


def tagging_us(tagging: AutoTagger, calls: int, raw: bytes, index: sqlite3.Connection, seq: int) -> float:
    """Microseconds per tagging of ``raw``, its searches run on ``index``."""
    fields = mailview.index_fields(raw, b"")
    started = time.perf_counter()
    for _ in range(calls):
        tagging.arrival(raw, fields, None).tags(index, seq)
    return (time.perf_counter() - started) / calls * 1e6


def print_table(title: str, figures: dict[str, list[float]]) -> None:
    print(f"| {title} | µs/message (median) | more than none, µs (median of pairs) |")
    print("|---|---|---|")
    for name, values in figures.items():
        paired = statistics.median(value - base for value, base in zip(values, figures["none"]))
        print(f"| {name} | {statistics.median(values):.1f} | {paired:+.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catcher_autotags", description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=400, help="messages per store (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of every configuration (default: %(default)s)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to see that it runs")
    options = parser.parse_args(argv)
    messages, rounds = (20, 2) if options.smoke else (options.n, options.rounds)
    raw = make_message(1024).replace(b"To: sink@example.com", b"To: sink+bench@example.com")
    tagged = configurations()
    figures: dict[str, list[float]] = {name: [] for name in tagged}
    for _ in range(rounds):
        for name, tagging in tagged.items():
            figures[name].append(per_message_us(tagging, messages, raw))
    alone: dict[str, list[float]] = {name: [] for name in tagged}
    with tempfile.TemporaryDirectory(prefix="bench-autotags-") as folder:
        store = MailStore(folder)
        store.add(raw, envelope_from="bench@example.com", envelope_to=["sink+bench@example.com"])
        store.close()
        index = sqlite3.connect(str(Path(folder) / INDEX_NAME))
        seq = index.execute("SELECT MAX(seq) FROM messages").fetchone()[0]
        for _ in range(rounds):
            for name, tagging in tagged.items():
                alone[name].append(tagging_us(tagging, messages * 5, raw, index, seq))
        index.close()
    print(f"{messages} messages x {rounds} rounds, 1 KiB, load {os.getloadavg()[0]:.1f} (1-minute average)")
    print_table("store.add with tagging", figures)
    print()
    print_table("tagging alone", alone)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
