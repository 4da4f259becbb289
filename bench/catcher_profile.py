"""Where the catcher's intake time goes: a profile of one pipelined connection.

``python -m bench.catcher_profile [-n 2000]`` runs the dev server in this
process under yappi (CPU clock, every thread: the event loop and the
store's thread), feeds it ``-n`` 1 KiB messages from ``send_many`` in a
child process (so the client's work is not in the profile), and prints the
split: the dev server's command loop, parsing, the Maildir write, fsync, the index
INSERT and the announcements (the WebSocket push), each as microseconds of
CPU per message, plus the wall-clock rate.  yappi is a bench-only tool
(``pip install yappi``); the profile slows everything by about 2x, so the
figures are shares, not rates.

``--store-only`` leaves SMTP out: this process calls
:meth:`MailStore.receive` itself, ``-n`` times with the same message (the
store's spans alone, and the store's own rate without the profile).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import ContextManager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (label, module path fragment, function name): the function's inclusive
# CPU time, summed over threads.
SPANS: Sequence[tuple[str, str, str]] = (
    ("store thread, whole batches (StoreThread._store)", "intake.py", "_store"),
    ("store, a message parsed + written (MailStore._arrive)", "store.py", "_arrive"),
    ("store, its row committed + announced (MailStore._settle)", "store.py", "_settle"),
    ("  parse (mailview.index_fields)", "mailview.py", "index_fields"),
    ("  Maildir write (tmp/ file + rename)", "maildir.py", "deliver"),
    ("  fsync", "", "fsync"),
    ("  index INSERT + tags + commit (the group commit)", "store.py", "_commit_arrivals"),
    ("  announcements (listeners: stats, WebSocket)", "store.py", "_announce"),
    ("command loop, per arrival (DevSMTP.data_received, inclusive)", "protocol.py", "data_received"),
    ("  one command line: parse + answer (DevSMTP._command)", "protocol.py", "_command"),
    ("  DATA payload read (dataread, in chunks)", "protocol.py", "_feed_payload"),
    ("  the replies' one write a batch (DevSMTP._flush)", "protocol.py", "_flush"),
    ("store hand-off to the store thread (MailHandler.deliver)", "handler.py", "deliver"),
    ("reply to the final dot, then the waiting lines (DevSMTP._delivered)", "protocol.py", "_delivered"),
)

CLIENT = """
import sys, time
sys.path.insert(0, {root!r})
from smtp_core import send_many
from bench.messages import make_message
message = make_message(int(sys.argv[3]))
count = int(sys.argv[2])
started = time.perf_counter()
results = send_many("127.0.0.1:" + sys.argv[1], (("bench@example.com", ["sink@example.com"], message)
                    for _ in range(count)), tls="none", timeout=60)
elapsed = time.perf_counter() - started
bad = [r for r in results if isinstance(r, BaseException)]
assert not bad, bad[:1]
print(count / elapsed)
"""


def _replace_store_with_nothing() -> None:
    from smtp_core.devserver.mailbox.store import MailStore, StoredEnvelope

    def receive_many(self, incoming):  # the server's only way in (the store thread hands it each batch)
        return [({}, StoredEnvelope(id="x", maildir_key="x", envelope_from=message.envelope_from,
                                    envelope_to=tuple(message.envelope_to), mail_options=tuple(message.mail_options),
                                    authenticated_as=message.authenticated_as, tls=message.tls, sequence=0))
                for message in incoming]

    MailStore.receive_many = receive_many


@contextlib.contextmanager
def _profiled(enabled: bool) -> Iterator[None]:
    """yappi over every thread, CPU clock, while the block runs."""
    import yappi

    if enabled:
        yappi.set_clock_type("cpu")
        yappi.start(builtins=True, profile_threads=True)
    try:
        yield
    finally:
        if enabled:
            yappi.stop()


def _feed_store(work: Path, count: int, size: int, measured: ContextManager[None]) -> float:
    """Store ``count`` messages of ``size`` bytes straight through
    :meth:`MailStore.receive` (``measured`` around them); return the
    messages per second."""
    from bench.messages import make_message
    from smtp_core.devserver.mailbox.store import MailStore

    message = make_message(size)
    store = MailStore(work / "mail", max_messages=0)
    try:
        with measured:
            started = time.perf_counter()
            for _ in range(count):
                store.receive(message, envelope_from="bench@example.com", envelope_to=["sink@example.com"])
            return count / (time.perf_counter() - started)
    finally:
        store.close()


def _feed_server(work: Path, count: int, size: int, measured: ContextManager[None]) -> float:
    """Send ``count`` messages to a dev server in this process from a client
    process (``measured`` around them); return the client's messages per
    second."""
    from smtp_core.devserver import DevServer

    server = DevServer(port=0, maildir=work / "mail", cert_dir=work / "certs", max_messages=0, http_port=0)
    server.start()
    try:
        with measured:
            return float(subprocess.run([sys.executable, "-c", CLIENT.format(root=str(ROOT)), str(server.port),
                                         str(count), str(size)], check=True, capture_output=True,
                                        text=True).stdout)
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    import yappi

    parser = argparse.ArgumentParser(prog="python -m bench.catcher_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages (default: %(default)s)")
    parser.add_argument("--size", type=int, default=1024, help="message size in bytes (default: %(default)s)")
    parser.add_argument("--top", type=int, default=25, help="also print the top N functions by own time")
    parser.add_argument("--no-profile", action="store_true", help="only the wall-clock rate")
    parser.add_argument("--null-store", action="store_true",
                        help="store nothing (MailStore.receive_many answers at once): the command loop's share alone")
    parser.add_argument("--store-only", action="store_true",
                        help="no SMTP: call MailStore.receive directly (the store's spans alone)")
    extra = parser.parse_known_args(argv)[1]
    arguments = parser.parse_args(argv)
    del extra
    if arguments.null_store:
        _replace_store_with_nothing()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as work:
        feed = _feed_store if arguments.store_only else _feed_server
        started = time.perf_counter()
        rate = feed(Path(work), arguments.n, arguments.size, _profiled(not arguments.no_profile))
        wall = time.perf_counter() - started
    print(f"{'store' if arguments.store_only else 'client'} rate {rate:.0f} msg/s ({wall:.2f} s wall for {arguments.n})")
    if arguments.no_profile:
        return 0
    stats = yappi.get_func_stats()
    per_message = 1e6 / arguments.n
    print("\n| span | CPU us/message |\n|---|---|")
    for label, module, name in SPANS:
        total = sum(s.ttot for s in stats if s.name.split(".")[-1] == name and module in s.module)
        print(f"| {label} | {total * per_message:.0f} |")
    threads = yappi.get_thread_stats()
    print("\n| thread | CPU us/message |\n|---|---|")
    for thread in threads:
        print(f"| {thread.name} ({thread.id}) | {thread.ttot * per_message:.0f} |")
    print(f"\ntop {arguments.top} by own time (us/message):")
    for s in sorted(stats, key=lambda s: s.tsub, reverse=True)[:arguments.top]:
        print(f"{s.tsub * per_message:8.0f} {s.ttot * per_message:8.0f}  {s.name}  {s.module.split('/')[-1]}:{s.lineno}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
