"""Where the catcher's intake time goes: a profile of one pipelined connection.

``python -m bench.catcher_profile [-n 2000]`` runs the dev server in this
process under yappi (CPU clock, every thread: the event loop and the worker
threads that store), feeds it ``-n`` 1 KiB messages from ``send_many`` in a
child process (so the client's work is not in the profile), and prints the
split: the dev server's command loop, parsing, the Maildir write, fsync, the index
INSERT and the announcements (the WebSocket push), each as microseconds of
CPU per message, plus the wall-clock rate.  yappi is a bench-only tool
(``pip install yappi``); the profile slows everything by about 2x, so the
figures are shares, not rates.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (label, module path fragment, function name): the function's inclusive
# CPU time, summed over threads.
SPANS: Sequence[tuple[str, str, str]] = (
    ("store, whole (MailStore.receive / the intake batch)", "store.py", "receive"),
    ("  parse (mailview.index_fields)", "mailview.py", "index_fields"),
    ("  Maildir write (tmp/ file + rename)", "store.py", "_deliver"),
    ("  fsync", "", "fsync"),
    ("  index INSERT + tags + commit (the group commit)", "store.py", "_commit_arrivals"),
    ("  announcements (listeners: stats, WebSocket)", "store.py", "_announce"),
    ("command loop, per arrival (DevSMTP.data_received, inclusive)", "protocol.py", "data_received"),
    ("  one command line: parse + answer (DevSMTP._command)", "protocol.py", "_command"),
    ("  DATA payload read (dataread, in chunks)", "protocol.py", "_feed_payload"),
    ("  the replies' one write a batch (DevSMTP._flush)", "protocol.py", "_flush"),
    ("store hand-off to the worker (MailHandler.deliver)", "handler.py", "deliver"),
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

    def receive(self, raw, *, envelope_from, envelope_to, mail_options=(), authenticated_as=None, tls=False):
        stored = StoredEnvelope(id="x", maildir_key="x", envelope_from=envelope_from, envelope_to=tuple(envelope_to),
                                mail_options=tuple(mail_options), authenticated_as=authenticated_as, tls=tls,
                                sequence=0)
        return {}, stored

    MailStore.receive = receive


def main(argv: Sequence[str] | None = None) -> int:
    import yappi

    from smtp_core.devserver import DevServer

    parser = argparse.ArgumentParser(prog="python -m bench.catcher_profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages (default: %(default)s)")
    parser.add_argument("--size", type=int, default=1024, help="message size in bytes (default: %(default)s)")
    parser.add_argument("--top", type=int, default=25, help="also print the top N functions by own time")
    parser.add_argument("--no-profile", action="store_true", help="only the wall-clock rate")
    parser.add_argument("--null-store", action="store_true",
                        help="store nothing (MailStore.receive answers at once): the command loop's share alone")
    extra = parser.parse_known_args(argv)[1]
    arguments = parser.parse_args(argv)
    del extra
    if arguments.null_store:
        _replace_store_with_nothing()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as work:
        server = DevServer(port=0, maildir=Path(work) / "mail", cert_dir=Path(work) / "certs", max_messages=0,
                           http_port=0)
        server.start()
        try:
            if not arguments.no_profile:
                yappi.set_clock_type("cpu")
                yappi.start(builtins=True, profile_threads=True)
            started = time.perf_counter()
            rate = subprocess.run([sys.executable, "-c", CLIENT.format(root=str(ROOT)), str(server.port),
                                   str(arguments.n), str(arguments.size)], check=True, capture_output=True, text=True).stdout
            wall = time.perf_counter() - started
            if not arguments.no_profile:
                yappi.stop()
        finally:
            server.stop()
    print(f"client rate {float(rate):.0f} msg/s ({wall:.2f} s wall for {arguments.n})")
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
