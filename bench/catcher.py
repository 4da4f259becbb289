"""Benchmark of the mail catcher: intake rate, and API latency at 10,000 messages.

``python -m bench.catcher`` (``--help`` for the options) measures:

* **intake**: messages per second that ``smtp-devserver`` takes in, stored
  in its Maildir and indexed, from ``send_many`` over one connection, 1 KiB
  messages.  Each reply to the final dot comes after the message is stored
  and indexed, so the rate is the catcher's, end to end.  The bench's own
  sink (which stores nothing) runs in the same rounds, interleaved, as the
  paired reference: the machine is shared, so a ratio taken in one run says
  more than an absolute figure.
* **latency**: the API at ``--stored`` messages (10,000 by default, filled
  through the store, then served by a fresh ``smtp-devserver``): the list's
  first page, searches of each kind, and one message, over one keep-alive
  HTTP connection; median and 90th percentile.

The servers run as separate processes, so that the client and the server
never share a Python interpreter.  Results go to ``bench/catcher-results.md``
unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from smtp_core import send_many
from smtp_core.devserver.mailbox.store import MailStore

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.messages import make_message  # noqa: E402
from bench.sink import start_sink_process  # noqa: E402

MAILPIT_DOCUMENTED = (70, 100)  # messages per second, Mailpit's README
TIMEOUT = 60.0
QUERIES: Sequence[Tuple[str, str]] = (
    ("list, first page of 50", "/api/v1/messages?limit=50"),
    ("list, page at 5,000", "/api/v1/messages?start=5000&limit=50"),
    ("search free text (rare word)", "/api/v1/search?query=zebra"),
    ("search free text (common word)", "/api/v1/search?query=fox"),
    ("search from:", "/api/v1/search?query=from:sender7%40"),
    ("search subject: + is:unread", "/api/v1/search?query=subject:%22order%2042%22%20is:unread"),
    ("search has:attachment", "/api/v1/search?query=has:attachment"),
    ("message (latest)", "/api/v1/message/latest"),
)


class Catcher:
    """``python -m smtp_core.devserver`` on free ports, stopped on exit."""

    def __init__(self, maildir: Path, cert_dir: Path, max_messages: int = 0):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smtp_core.devserver", "--port", "0", "--http-port", "0", "--quiet",
             "--maildir", str(maildir), "--cert-dir", str(cert_dir), "--max-messages", str(max_messages)],
            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        banner = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            banner.append(line)
            if line.startswith("press Ctrl-C"):
                break
        text = "".join(banner)
        smtp = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
        web = re.search(r"http://127\.0\.0\.1:(\d+)/", text)
        if not (smtp and web):
            self.stop()
            raise RuntimeError(f"smtp-devserver did not start: {text}")
        self.smtp_port, self.http_port = int(smtp.group(1)), int(web.group(1))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(TIMEOUT)
        finally:
            self.process.kill()
            self.process.communicate()

    def __enter__(self) -> "Catcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send_rate(port: int, count: int) -> float:
    """Messages per second for ``count`` 1 KiB messages over one connection."""
    message = make_message(1024)
    items = (("bench@example.com", ["sink@example.com"], message) for _ in range(count))
    started = time.perf_counter()
    results = send_many(f"127.0.0.1:{port}", items, tls="none", timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    failed = [result for result in results if isinstance(result, BaseException)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {count} messages failed: {failed[0]!r}")
    return count / elapsed


def measure_intake(count: int, reps: int, work: Path) -> Dict[str, List[float]]:
    rates: Dict[str, List[float]] = {"catcher": [], "sink": []}
    with start_sink_process(max_seconds=3600) as sink:
        for round_number in range(reps):
            order = ("catcher", "sink") if round_number % 2 == 0 else ("sink", "catcher")
            for name in order:
                if name == "sink":
                    rates["sink"].append(send_rate(sink.port, count))
                    continue
                maildir = work / f"intake-{round_number}"
                with Catcher(maildir, work / "certs") as catcher:
                    rates["catcher"].append(send_rate(catcher.smtp_port, count))
                shutil.rmtree(maildir)
    return rates


def varied_message(n: int) -> bytes:
    """1 KiB-ish messages with varied senders, subjects and words; one in ten
    has an attachment, one in a thousand the word "zebra"."""
    word = "zebra" if n % 1000 == 0 else "fox"
    head = (f"From: Sender {n % 50} <sender{n % 50}@example.com>\r\nTo: rcpt{n % 7}@example.com\r\n"
            f"Subject: order {n % 100} shipped\r\nMessage-ID: <m{n}@example.com>\r\n")
    text = f"The quick brown {word} number {n} jumps over the lazy dog.\r\n" * 14
    if n % 10:
        return (head + "\r\n" + text).encode()
    return (head + 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
            f"--b\r\nContent-Type: text/plain\r\n\r\n{text}--b\r\nContent-Type: application/pdf\r\n"
            'Content-Disposition: attachment; filename="invoice.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            "JVBERi0xLjQ=\r\n--b--\r\n").encode()


def fill(maildir: Path, stored: int) -> float:
    """Fill ``maildir`` through the store; return its messages per second."""
    store = MailStore(maildir, max_messages=0)
    started = time.perf_counter()
    for n in range(stored):
        store.add(varied_message(n), envelope_from=f"sender{n % 50}@example.com", envelope_to=["rcpt@example.com"])
    elapsed = time.perf_counter() - started
    store.close()
    return stored / elapsed


def measure_latency(port: int, repeat: int) -> Dict[str, List[float]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    timings: Dict[str, List[float]] = {}
    try:
        for _ in range(repeat):  # interleaved: a busy moment hits every query alike
            for label, path in QUERIES:
                started = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")
                json.loads(body)
                timings.setdefault(label, []).append(elapsed * 1000)
    finally:
        connection.close()
    return timings


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(arguments: argparse.Namespace, intake: Dict[str, List[float]], fill_rate: float,
           latency: Dict[str, List[float]], matches: Dict[str, int]) -> str:
    catcher, sink = statistics.median(intake["catcher"]), statistics.median(intake["sink"])
    lines = [
        "# Mail catcher benchmark",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; `python -m bench.catcher "
        f"-n {arguments.n} --reps {arguments.reps} --stored {arguments.stored} --repeat {arguments.repeat}`",
        "",
        "## Intake: 1 KiB messages, `send_many` over one connection",
        "",
        "| server | median msg/s | min | max |",
        "|---|---|---|---|",
        f"| smtp-devserver (stored + indexed) | {catcher:.0f} | {min(intake['catcher']):.0f} | {max(intake['catcher']):.0f} |",
        f"| bench sink (stores nothing) | {sink:.0f} | {min(intake['sink']):.0f} | {max(intake['sink']):.0f} |",
        "",
        f"The catcher takes in {catcher / sink:.2f}x the sink's rate (paired medians, {arguments.reps} "
        f"interleaved rounds); Mailpit documents {MAILPIT_DOCUMENTED[0]}-{MAILPIT_DOCUMENTED[1]} msg/s, "
        f"so this is {catcher / MAILPIT_DOCUMENTED[1]:.0f}x its upper figure"
        f" (target: 10x, {'met' if catcher >= 10 * MAILPIT_DOCUMENTED[1] else 'NOT met'}).",
        "",
        f"## API latency at {arguments.stored:,} stored messages",
        "",
        f"Filled through the store at {fill_rate:.0f} msg/s (parse, Maildir file, index), then served by a "
        f"fresh `smtp-devserver`; {arguments.repeat} requests per row, interleaved, one keep-alive connection.",
        "",
        "| request | matches | median ms | p90 ms |",
        "|---|---|---|---|",
    ]
    for label, _ in QUERIES:
        values = latency[label]
        lines.append(f"| {label} | {matches.get(label, '')} | {statistics.median(values):.1f} | "
                     f"{percentile(values, 0.9):.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages per intake run (default: %(default)s)")
    parser.add_argument("--reps", type=int, default=5, help="interleaved intake rounds (default: %(default)s)")
    parser.add_argument("--stored", type=int, default=10000, help="messages stored for the latency rows")
    parser.add_argument("--repeat", type=int, default=30, help="requests per latency row (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, nothing written (the test suite runs it)")
    arguments = parser.parse_args(argv)
    if arguments.smoke:
        arguments.n, arguments.reps, arguments.stored, arguments.repeat, arguments.no_write = 20, 1, 200, 2, True

    work = Path(tempfile.mkdtemp(prefix="bench-catcher-"))
    try:
        intake = measure_intake(arguments.n, arguments.reps, work)
        fill_rate = fill(work / "stored", arguments.stored)
        with Catcher(work / "stored", work / "certs") as catcher:
            latency = measure_latency(catcher.http_port, arguments.repeat)
            connection = http.client.HTTPConnection("127.0.0.1", catcher.http_port, timeout=TIMEOUT)
            matches = {}
            for label, path in QUERIES:
                if "/search" in path:
                    connection.request("GET", path)
                    matches[label] = json.loads(connection.getresponse().read())["messages_count"]
            connection.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(arguments, intake, fill_rate, latency, matches)
    print(text)
    if not arguments.no_write:
        (ROOT / "bench" / "catcher-results.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
