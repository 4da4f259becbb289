"""What the catcher's parsing costs on hostile input (issue 21, findings 1,
5 and 22), side by side in one run.

One command, from the project root, with the project's virtualenv::

    python -m bench.catcher_parsing [--reps 5] [--no-loop]

* ``html``: the text of hostile HTML bodies (the audit's repeated
  ``<script>``, unclosed tags, comments, attribute values) by the regex the
  catcher used before (``before``), by ``htmltext.html_text`` (``now``) and
  by the standard library's ``html.parser`` (only at 16 KiB: it is quadratic
  on these before Python 3.11.13).  Median seconds over ``--reps`` rounds,
  the variants interleaved.
* ``depth``: a 1 MiB message whose text sits N multiparts deep, parsed whole
  by the ``email`` package (the old intake and every old request) and
  scanned by ``mimetree.leaves`` (the new intake; requests read spans).
* ``loop``: a dev server with its API; a thread sends the worst cases (the
  256 KiB ``<script>`` body, a 1,000-part message, the longest search over
  50 messages of 256 KiB, the many-part message's JSON and view) while this
  thread asks ``GET /api/v1/info`` and sends SMTP ``NOOP`` every 20 ms: the
  median and worst latency of those answers.
"""

from __future__ import annotations

import argparse
import email.parser
import html
import html.parser
import json
import re
import smtplib
import statistics
import threading
import time
import urllib.parse
import urllib.request
from typing import Callable

from smtp_core.devserver import DevServer
from smtp_core.devserver.mailbox import mimetree
from smtp_core.devserver.mailbox.htmltext import html_text
from smtp_core.devserver.mailbox.search import MAX_TERMS

# The stripping regex of smtp_core/devserver/mailbox/mailview.py before issue 21.
_OLD_TAGS = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<(/?)(\w*)[^>]*>", re.IGNORECASE | re.DOTALL)


def old_strip(markup: str) -> str:
    return html.unescape(_OLD_TAGS.sub(" ", markup))


def stdlib_strip(markup: str) -> str:
    pieces: list[str] = []
    parser = html.parser.HTMLParser(convert_charrefs=True)
    parser.handle_data = pieces.append  # type: ignore[method-assign]
    parser.feed(markup)
    parser.close()
    return "".join(pieces)


UNITS = {"script": "<script>", "unclosed tag": "<a ", "unclosed comment": "<!--", "attribute": '<a b="',
         "paragraphs": "<p>a &amp; b</p>"}


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def bench_html(reps: int) -> list[str]:
    rows = ["| input | KiB | before (regex) s | now (htmltext) s | html.parser s |", "|---|---|---|---|---|"]
    for name, unit in UNITS.items():
        for kib in (16, 64, 256):
            markup = "<p>before</p>" + unit * (kib * 1024 // len(unit))
            before, now, stdlib = [], [], []
            for _ in range(reps):
                # The old regex takes a minute at 256 KiB of <script>: once is enough there.
                if kib < 256 or name not in ("script",) or not before:
                    before.append(timed(lambda: old_strip(markup)))
                now.append(timed(lambda: html_text(markup)))
                if kib == 16:
                    stdlib.append(timed(lambda: stdlib_strip(markup)))
            rows.append(f"| {name} | {kib} | {statistics.median(before):.3f} | {statistics.median(now):.4f} | "
                        + (f"{statistics.median(stdlib):.3f}" if stdlib else "-") + " |")
    return rows


def nested(depth: int, size: int) -> bytes:
    message = b"Content-Type: text/plain\r\n\r\n" + (b"x" * 76 + b"\r\n") * (size // 78)
    for level in range(depth, 0, -1):
        boundary = b"level%d" % level
        message = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n"
                   + message + b"\r\n--" + boundary + b"--\r\n")
    return b"From: a@example.com\r\nSubject: nested\r\n" + message


def bench_depth(reps: int) -> list[str]:
    rows = ["| depth | email parse s | mimetree scan s | ratio |", "|---|---|---|---|"]
    parser = email.parser.BytesParser(policy=mimetree.RAW_HEADERS)
    for depth in (1, 2, 4, 8, 16, 32):
        raw = nested(depth, 1024 * 1024)
        whole, scan = [], []
        for _ in range(reps):
            whole.append(timed(lambda: parser.parsebytes(raw)))
            scan.append(timed(lambda: mimetree.leaves(raw)))
        ratios = statistics.median(w / s for w, s in zip(whole, scan))
        rows.append(f"| {depth} | {statistics.median(whole):.3f} | {statistics.median(scan):.4f} | {ratios:.0f}x |")
    return rows


def bench_loop() -> list[str]:
    script_body = "\r\n".join(("<script>" * 105) for _ in range(256 * 1024 // 840))
    html_message = (b"From: a@example.com\r\nSubject: worst\r\nContent-Type: text/html\r\n\r\n"
                    + script_body.encode() + b"\r\n")
    parts = [b"--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n"] + [
        b"--b\r\nContent-Disposition: attachment; filename=f%d\r\n\r\nx\r\n" % number for number in range(999)]
    many = (b"From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + b"".join(parts) + b"--b--\r\n")
    filler = (b"From: a@example.com\r\nSubject: big\r\n\r\n" + (b"lorem ipsum dolor sit amet " * 30 + b"\r\n") * 320)
    latencies: dict[str, list[float]] = {"info": [], "noop": []}
    with DevServer(http_port=0, max_messages=0) as server:
        def send(*messages: bytes) -> None:
            with smtplib.SMTP(server.host, server.port, timeout=60) as client:
                for message in messages:
                    client.sendmail("a@example.com", ["b@example.com"], message)

        send(*([filler] * 50))
        done = threading.Event()

        def worst() -> None:
            try:
                for _ in range(3):
                    send(html_message, many)
                    query = urllib.parse.urlencode({"query": " ".join(f"-absent{n}" for n in range(MAX_TERMS))})
                    urllib.request.urlopen(server.url + "api/v1/search?" + query, timeout=60).read()
                    latest = server.store.latest_id("subject:many")
                    urllib.request.urlopen(server.url + f"api/v1/message/{latest}", timeout=60).read()
                    urllib.request.urlopen(server.url + f"view/{latest}.html", timeout=60).read()
            finally:
                done.set()

        worker = threading.Thread(target=worst)
        worker.start()
        with smtplib.SMTP(server.host, server.port, timeout=60) as client:
            for _ in range(3000):  # bounded; ends when the worst cases are done
                if done.is_set():
                    break
                started = time.perf_counter()
                json.loads(urllib.request.urlopen(server.url + "api/v1/info", timeout=60).read())
                latencies["info"].append(time.perf_counter() - started)
                started = time.perf_counter()
                client.noop()
                latencies["noop"].append(time.perf_counter() - started)
                time.sleep(0.02)
        worker.join(120)
    rows = ["| answer | samples | median ms | max ms |", "|---|---|---|---|"]
    for name, values in latencies.items():
        rows.append(f"| {name} | {len(values)} | {statistics.median(values) * 1000:.1f} | {max(values) * 1000:.1f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-loop", action="store_true", help="skip the dev server latency run")
    options = parser.parse_args()
    print("\n".join(bench_html(options.reps)), end="\n\n")
    print("\n".join(bench_depth(options.reps)), end="\n\n")
    if not options.no_loop:
        print("\n".join(bench_loop()))


if __name__ == "__main__":
    main()
