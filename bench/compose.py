"""``python -m bench.compose``: compose and send one message with a large attachment.

Rows, measured in interleaved rounds against one ``bench.sink`` process:

- **bytes**: ``send`` of the same message's wire bytes, prebuilt (the
  floor: what sending alone costs);
- **compose**: ``message`` (the attachment named by ``:path``) + ``send``
  of the message object: the attachment is read, encoded and written in
  chunks (``smtp_core.mail.fileparts``);
- **compose+dkim**: the same with ``send(..., dkim=signer)`` (rsa-sha256,
  a 2048-bit key made with ``openssl genrsa``): the file is streamed twice,
  once for the body hash and once to send.  The ``DKIMSigner`` is made
  before the clock starts, once, as a program that signs many messages
  makes it (importing dkimpy and loading the key); that one-time cost is
  printed below the table.

Each measurement runs in a fresh child process, so its peak resident size
(``ru_maxrss``) is its own: reported above the child's size after its
imports.  A second child per row and round runs the same work under
``tracemalloc`` for the peak of Python's allocations (timings are taken
without it).  Medians over the rounds, with min and max; ``x bytes`` is
the median (and range) over the rounds of a row's total time divided by
the bytes row's total in the same round (paired, since the machine is
shared); the tracemalloc peak is the highest of the rounds.

Options: ``--mib 10 100`` (attachment sizes, one table each), ``--reps 5``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROWS = ("bytes", "compose", "compose+dkim")


def _child(row: str, port: int, path: str, key: str, traced: bool) -> dict:
    import tracemalloc

    from smtp_core import DKIMSigner, message, send
    from smtp_core.mail.fileparts import wire_stream

    address = "127.0.0.1:%d" % port
    spec = {"from": "bench@example.com", "to": "sink@example.com", "subject": "big file",
            "body": ["Attached.\n", {"type": "attachment", "path": path}]}
    # The same wire bytes, joined from the stream (building them whole the
    # old way would need several copies of the file).
    prebuilt = b"".join(iter(wire_stream(message(spec)).read, b"")) if row == "bytes" else None
    dkim = setup = None
    if row == "compose+dkim":
        # Made once, as a program sending many messages makes it: the key
        # loaded and tried, dkimpy imported.  Its cost is reported apart.
        began = time.perf_counter()
        dkim = DKIMSigner("example.com", "bench", key)
        setup = time.perf_counter() - began
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    if row == "bytes":
        composed = time.perf_counter()
        result = send(address, "bench@example.com", ["sink@example.com"], prebuilt, tls="none", timeout=120)
    else:
        msg = message(spec)
        composed = time.perf_counter()
        result = send(address, msg, tls="none", timeout=120, dkim=dkim)
    done = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    return {"setup_s": setup, "compose_s": composed - start, "total_s": done - start, "wire": result.size, "traced_peak": peak,
            "rss_over_base": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) * 1024}


def _run_child(row: str, port: int, path: str, key: str, traced: bool) -> dict:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-m", "bench.compose", "--child", row, "--port", str(port),
                          "--file", path, "--key", key] + (["--traced"] if traced else []),
                         cwd=root, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def _mib(n: float) -> str:
    return "%.1f MiB" % (n / 2**20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compose", description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=float, nargs="+", default=[10.0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--child", choices=ROWS)
    parser.add_argument("--port", type=int)
    parser.add_argument("--file")
    parser.add_argument("--key")
    parser.add_argument("--traced", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.port, args.file, args.key, args.traced)))
        return 0

    from bench.sink import start_sink_process

    with tempfile.TemporaryDirectory(prefix="bench-compose-") as tmp:
        key = os.path.join(tmp, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
        with start_sink_process(max_seconds=3600) as sink:
            for mib in args.mib:
                path = os.path.join(tmp, "attachment.bin")
                with open(path, "wb") as f:
                    for _ in range(int(mib * 16)):  # 64 KiB at a time
                        f.write(os.urandom(1 << 16))
                _table(mib, args.reps, _rounds(args.reps, sink.port, path, key))
    return 0


def _rounds(reps: int, port: int, path: str, key: str) -> dict:
    results: dict = {row: [] for row in ROWS}
    for rep in range(reps):
        order = ROWS[rep % len(ROWS):] + ROWS[:rep % len(ROWS)]
        for row in order:
            timed = _run_child(row, port, path, key, traced=False)
            timed["traced_peak"] = _run_child(row, port, path, key, traced=True)["traced_peak"]
            results[row].append(timed)
    return results


def _table(mib: float, reps: int, results: dict) -> None:
    print("compose + send of a %g MiB attachment (%d rounds; median [min-max])" % (mib, reps))
    print("%-13s %10s %-22s %-22s %-18s %-16s %-14s" % ("row", "wire", "compose s", "total s", "x bytes",
                                                     "tracemalloc max", "RSS growth"))
    for row in ROWS:
        runs = results[row]

        def spread(key: str) -> str:
            values = [r[key] for r in runs]
            return "%.3f [%.3f-%.3f]" % (statistics.median(values), min(values), max(values))

        # Paired: each round's total over the same round's bytes row.
        ratios = [r["total_s"] / b["total_s"] for r, b in zip(runs, results["bytes"])]
        print("%-13s %10s %-22s %-22s %-18s %-16s %-14s" % (
            row, _mib(runs[0]["wire"]), spread("compose_s"), spread("total_s"),
            "%.2f [%.2f-%.2f]" % (statistics.median(ratios), min(ratios), max(ratios)),
            _mib(max(r["traced_peak"] for r in runs)),
            _mib(statistics.median(r["rss_over_base"] for r in runs))))
    setups = [r["setup_s"] for r in results["compose+dkim"]]
    print("DKIMSigner made once (dkimpy imported, key loaded and tried): %.3f s [%.3f-%.3f]"
          % (statistics.median(setups), min(setups), max(setups)))
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
