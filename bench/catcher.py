"""Benchmark of the mail catcher: intake rate, and API latency at 10,000 messages.

``python -m bench.catcher`` (``--help`` for the options) measures:

* **intake**: messages per second that ``smtp-devserver`` takes in, stored
  in its Maildir and indexed, from ``send_many`` over one connection, 1 KiB
  messages.  Each reply to the final dot comes after the message is stored
  and indexed, so the rate is the catcher's, end to end.  The bench's own
  sink (which stores nothing) runs in the same rounds, interleaved, as the
  paired reference: the machine is shared, so a ratio taken in one run says
  more than an absolute figure.
* **MailDev** (npm's ``maildev``, a Node catcher, installed under
  ``bench/maildev`` from its lock file at bench time) in the same rounds,
  fed by the same client; ``--no-maildev`` leaves it out.  Every rate stops
  its clock when the server's API lists all the messages, so a server that
  acknowledges before it indexes gains nothing.  The same over 10 parallel
  connections.
* **1 MiB messages** against the disk: the catcher's intake in MiB/s next to
  plain writes of the same bytes into the same Maildir, interleaved.
* **memory**: the catcher's RSS at 0, 1,000 and 10,000 messages.
* **latency**: the API at ``--stored`` messages (10,000 by default, filled
  through the store, then served by a fresh ``smtp-devserver``): the list's
  first page, searches of each kind, and one message, over one keep-alive
  HTTP connection; median and 90th percentile.

The servers run as separate processes, so that the client and the server
never share a Python interpreter.  Each run is added to
``bench/catcher-results.md`` as its newest section unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence
from collections.abc import Callable

from smtp_core.devserver.mailbox.store import MailStore

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.messages import make_message  # noqa: E402
from bench.sink import start_sink_process  # noqa: E402
from bench.history import record_run  # noqa: E402

MAILPIT_DOCUMENTED = (70, 100)  # messages per second, Mailpit's README
TIMEOUT = 60.0
QUERIES: Sequence[tuple[str, str]] = (
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

    name = "smtp-devserver (stored + indexed)"

    def __init__(self, maildir: Path, cert_dir: Path, max_messages: int = 0, fsync: str | None = None,
                 checkout: Path | None = None):
        command = [sys.executable, "-m", "smtp_core.devserver", "--port", "0", "--http-port", "0", "--quiet",
                   "--maildir", str(maildir), "--cert-dir", str(cert_dir), "--max-messages", str(max_messages)]
        if fsync is not None:
            command += ["--fsync", fsync]
            self.name = f"smtp-devserver, --fsync={fsync}"
        environment = None
        if checkout is not None:  # another version of the code, e.g. main's, for a before/after pair
            self.name = f"smtp-devserver from {checkout}"
            environment = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(command, cwd=str(checkout or ROOT), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=environment)
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

    def listed(self) -> int:
        """Messages the API lists (stored and indexed)."""
        return _get_json(self.http_port, "/api/v1/messages?limit=1")["total"]

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


class MailDev:
    """npm's ``maildev`` (a Node catcher) on loopback, storing to a mail
    directory, guarded by the bench sink's ``--external`` mode (stopped with
    the bench, whatever happens).  Installed under ``bench/maildev`` from its
    lock file on first use (``npm ci``)."""

    def __init__(self, mail_directory: Path):
        binary = install_maildev()
        assert binary is not None
        self.version = json.loads((MAILDEV_DIR / "node_modules" / "maildev" / "package.json").read_text())["version"]
        self.name = f"MailDev {self.version} (Node, --mail-directory)"
        self.smtp_port, self.http_port = _free_port(), _free_port()
        mail_directory.mkdir(parents=True, exist_ok=True)
        self.guard = start_sink_process(
            external=[str(binary), "-s", str(self.smtp_port), "--ip", "127.0.0.1", "-w", str(self.http_port),
                      "--web-ip", "127.0.0.1", "--mail-directory", str(mail_directory), "--silent"],
            port=self.smtp_port, description=self.name)
        deadline = time.monotonic() + TIMEOUT
        while True:  # the SMTP port answers before the API does
            try:
                self.listed()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def listed(self) -> int:
        return _get_json(self.http_port, "/api/email/summary?limit=1")["total"]

    def stop(self) -> None:
        self.guard.stop()

    def __enter__(self) -> "MailDev":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


MAILDEV_DIR = ROOT / "bench" / "maildev"


def install_maildev() -> Path | None:
    """``bench/maildev/node_modules/.bin/maildev``, installed from the lock
    file if missing; ``None`` without node and npm."""
    binary = MAILDEV_DIR / "node_modules" / ".bin" / "maildev"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            return None
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=str(MAILDEV_DIR),
                       check=True, timeout=600)
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get_json(port: int, path: str) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


#: One client process: imports, says "ready", waits for a line on stdin,
#: sends its share over one connection with ``send_many``, says "done N".
CLIENT = """
import sys
sys.path.insert(0, sys.argv[4])
from smtp_core import send_many
from bench.messages import make_message
port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
message = make_message(size)
print("ready", flush=True)
sys.stdin.readline()
results = send_many(f"127.0.0.1:{port}", (("bench@example.com", ["sink@example.com"], message)
                    for _ in range(count)), tls="none", timeout=60)
failed = [result for result in results if isinstance(result, BaseException)]
print("done", len(failed), repr(failed[:1]), flush=True)
"""


def send_rate(port: int, count: int, *, size: int = 1024, connections: int = 1,
              listed: Callable[[], int] | None = None, already: int = 0) -> float:
    """Messages per second for ``count`` messages of ``size`` bytes over
    ``connections`` parallel connections, each from its own client process
    (started and ready before the clock starts: no client shares a GIL).
    With ``listed``, the clock stops only once the server's API lists
    ``already + count`` messages: stored and indexed, whenever the server
    acknowledged them."""
    shares = [count // connections + (index < count % connections) for index in range(connections)]
    clients = [subprocess.Popen([sys.executable, "-c", CLIENT, str(port), str(share), str(size), str(ROOT)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for share in shares if share]
    try:
        for client in clients:
            if client.stdout.readline().strip() != "ready":
                raise RuntimeError("a bench client did not start")
        started = time.perf_counter()
        for client in clients:
            client.stdin.write("go\n")
            client.stdin.flush()
        outcomes = [client.stdout.readline().split(" ", 2) for client in clients]
        for outcome in outcomes:
            if outcome[:2] != ["done", "0"]:
                raise RuntimeError(f"messages failed: {outcome}")
        deadline = time.monotonic() + TIMEOUT
        while listed is not None and listed() < already + count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server lists {listed()} of {already + count} messages")
            time.sleep(0.002)
        return count / (time.perf_counter() - started)
    finally:
        for client in clients:
            client.kill()
            client.communicate()


PARALLEL = 10
SINK = "bench sink (stores nothing)"


def measure_intake(count: int, reps: int, work: Path, maildev: bool, fsync: Sequence[str] = (),
                   baseline: Path | None = None) -> dict[str, dict[str, list[float]]]:
    """``{server: {"one": [msg/s...], "parallel": [...]}}``, the servers in
    turn within each round (the order rotating), a fresh server per round;
    the catcher also with each ``--fsync`` policy of ``fsync``, and as the
    code in ``baseline`` (another checkout) has it."""
    names = (["catcher", "sink"] + (["maildev"] if maildev else []) + [f"catcher:{policy}" for policy in fsync]
             + (["baseline"] if baseline is not None else []))
    rates: dict[str, dict[str, list[float]]] = {}
    labels: dict[str, str] = {}
    with start_sink_process(max_seconds=3600) as sink:
        for round_number in range(reps):
            order = names[round_number % len(names):] + names[:round_number % len(names)]
            for name in order:
                folder = work / f"intake-{name}-{round_number}"
                if name == "sink":
                    server: Any = contextlib.nullcontext(sink)
                elif name == "baseline":
                    server = Catcher(folder, work / "certs", checkout=baseline)
                elif name.startswith("catcher"):
                    server = Catcher(folder, work / "certs", fsync=name.partition(":")[2] or None)
                else:
                    server = MailDev(folder)
                with server as peer:
                    labels[name] = getattr(peer, "name", SINK)
                    listed = getattr(peer, "listed", None)
                    port = getattr(peer, "smtp_port", None) or peer.port
                    got = rates.setdefault(name, {"one": [], "parallel": []})
                    got["one"].append(send_rate(port, count, listed=listed))
                    got["parallel"].append(send_rate(port, count, connections=PARALLEL, listed=listed,
                                                     already=count))
                shutil.rmtree(folder, ignore_errors=True)
    return {labels[name]: value for name, value in rates.items()}


RSS_POINTS = (0, 1000, 10000)


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` (Linux ``/proc``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def measure_rss(work: Path, points: Sequence[int] = RSS_POINTS) -> dict[int, float]:
    """The catcher's RSS after taking in each of ``points`` messages (1 KiB,
    over SMTP, 10 connections), with the page's list fetched at each point
    (the API's caches, if any, are in the figure)."""
    found: dict[int, float] = {}
    with Catcher(work / "rss", work / "certs") as catcher:
        sent = 0
        for point in points:
            if point > sent:
                send_rate(catcher.smtp_port, point - sent, connections=PARALLEL, listed=catcher.listed, already=sent)
                sent = point
            _get_json(catcher.http_port, "/api/v1/messages?limit=50")
            found[point] = rss_mib(catcher.process.pid)
    shutil.rmtree(work / "rss", ignore_errors=True)
    return found


BIG = 1024 * 1024


def measure_big(count: int, reps: int, work: Path, baseline: Path | None = None) -> dict[str, list[float]]:
    """MiB/s for ``count`` 1 MiB messages over one connection, for writing
    the same bytes to files in a Maildir beside it (``tmp/``, a file each,
    written and renamed into ``new/`` as the store does, no fsync: the
    store's default), and for the catcher of ``baseline`` (another checkout)
    if given; in turn within each round, the order rotating."""
    names = ["catcher", "disk"] + (["baseline"] if baseline is not None else [])
    rates: dict[str, list[float]] = {name: [] for name in names}
    content = make_message(BIG)
    for round_number in range(reps):
        for name in names[round_number % len(names):] + names[:round_number % len(names)]:
            folder = work / f"big-{name}-{round_number}"
            if name == "disk":
                rates["disk"].append(_disk_rate(folder, content, count))
            else:
                with Catcher(folder, work / "certs", checkout=baseline if name == "baseline" else None) as catcher:
                    rates[name].append(send_rate(catcher.smtp_port, count, size=BIG, listed=catcher.listed))
            shutil.rmtree(folder, ignore_errors=True)
    return rates


def _disk_rate(folder: Path, content: bytes, count: int) -> float:
    """Files per second for ``count`` copies of ``content`` (LF line ends, as
    the store writes them) written the Maildir way into ``folder``."""
    for subdirectory in ("tmp", "new"):
        (folder / subdirectory).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for n in range(count):
        temporary = folder / "tmp" / f"disk-{n}"
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(content.replace(b"\r\n", b"\n"))
        os.rename(temporary, folder / "new" / f"disk-{n}")
    return count / (time.perf_counter() - started)


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


def measure_latency(port: int, repeat: int) -> dict[str, list[float]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    timings: dict[str, list[float]] = {}
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


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _row(label: str, values: list[float], unit: str = "") -> str:
    return f"| {label} | {statistics.median(values):.0f}{unit} | {min(values):.0f} | {max(values):.0f} |"


def report(arguments: argparse.Namespace, intake: dict[str, dict[str, list[float]]],
           big: dict[str, list[float]], rss: dict[int, float], fill_rate: float,
           latency: dict[str, list[float]], matches: dict[str, int]) -> str:
    catcher = statistics.median(intake[Catcher.name]["one"])
    sink = statistics.median(intake[SINK]["one"])
    lines = [
        "# Mail catcher benchmark",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end; `python -m bench.catcher -n {arguments.n} --reps {arguments.reps} "
        f"--big {arguments.big}{''.join(' --fsync ' + policy for policy in arguments.fsync)}"
        f"{' --baseline ' + str(arguments.baseline) if arguments.baseline else ''} "
        f"--stored {arguments.stored} --repeat {arguments.repeat}`",
        "",
        "## Intake: 1 KiB messages, `send_many`",
        "",
        "The clock stops when the server's API lists every message (stored and indexed), not at the last",
        f"`250`; each server fresh in every round, the servers in turn (order rotating), {arguments.reps} rounds.",
        "",
        "| server, one pipelined connection | median msg/s | min | max |",
        "|---|---|---|---|",
        *(_row(name, rates["one"]) for name, rates in intake.items()),
        "",
        f"| server, {PARALLEL} parallel connections (a client process each) | median msg/s | min | max |",
        "|---|---|---|---|",
        *(_row(name, rates["parallel"]) for name, rates in intake.items()),
        "",
        f"The catcher takes in {catcher / sink:.2f}x the sink's rate; Mailpit documents "
        f"{MAILPIT_DOCUMENTED[0]}-{MAILPIT_DOCUMENTED[1]} msg/s (quoted, not measured), so this is "
        f"{catcher / MAILPIT_DOCUMENTED[1]:.1f}x its upper figure"
        f" (target: 10x, {'met' if catcher >= 10 * MAILPIT_DOCUMENTED[1] else 'NOT met'}).",
        "",
        f"## 1 MiB messages: {arguments.big} per round, one connection, against the disk",
        "",
        "The same bytes written as files in a Maildir on the same disk (`tmp/`, then renamed into `new/`,",
        "no fsync, as the store by default), interleaved with the catcher's intake in each round.",
        "",
        "| writer | median MiB/s | min | max |",
        "|---|---|---|---|",
        _row("smtp-devserver (stored + indexed)", big["catcher"]),
        _row("plain file writes, same disk", big["disk"]),
        *([_row(f"smtp-devserver from {arguments.baseline}", big["baseline"])] if "baseline" in big else []),
        "",
        f"The catcher takes in 1 MiB messages at {statistics.median(big['catcher']) / statistics.median(big['disk']):.0%}"
        " of the disk-write rate (target: 80%).",
        "",
        "## Memory: the catcher's RSS as messages arrive",
        "",
        "One `smtp-devserver`, 1 KiB messages over SMTP (10 connections), the list fetched at each point.",
        "",
        "| messages stored | RSS MiB |",
        "|---|---|",
        *(f"| {count:,} | {mib:.1f} |" for count, mib in rss.items()),
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
    parser.add_argument("--big", type=int, default=20, help="1 MiB messages per round (default: %(default)s)")
    parser.add_argument("--stored", type=int, default=10000, help="messages stored for the latency rows")
    parser.add_argument("--no-maildev", action="store_true", help="leave MailDev out (no node/npm needed)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also measure the catcher of another checkout (e.g. `git archive main` unpacked)")
    parser.add_argument("--fsync", action="append", default=[], choices=("batch", "always"),
                        help="also measure the catcher with this --fsync policy (repeatable)")
    parser.add_argument("--repeat", type=int, default=30, help="requests per latency row (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, nothing written (the test suite runs it)")
    arguments = parser.parse_args(argv)
    if arguments.smoke:
        arguments.n, arguments.reps, arguments.stored, arguments.repeat, arguments.no_write = 20, 1, 200, 2, True
        arguments.big, arguments.no_maildev = 2, True

    work = Path(tempfile.mkdtemp(prefix="bench-catcher-"))
    try:
        maildev = not arguments.no_maildev and install_maildev() is not None
        intake = measure_intake(arguments.n, arguments.reps, work, maildev, arguments.fsync, arguments.baseline)
        big = measure_big(arguments.big, arguments.reps, work, arguments.baseline)
        rss = measure_rss(work, (0, 20, 200) if arguments.smoke else RSS_POINTS)
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
    text = report(arguments, intake, big, rss, fill_rate, latency, matches)
    print(text)
    if not arguments.no_write:
        command = "python -m bench.catcher " + " ".join(sys.argv[1:] if argv is None else argv)
        record_run(ROOT / "bench" / "catcher-results.md", text, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
