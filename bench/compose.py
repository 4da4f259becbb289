"""``python -m bench.compose``: compose and send one message with a large attachment.

Rows, measured in interleaved rounds against one ``bench.sink`` process:

- **bytes**: ``send`` of prebuilt bytes of the same wire size (the floor:
  what sending alone costs);
- **compose**: ``message`` (reading the attachment from its file) +
  ``envelope`` + ``send``;
- **compose+dkim**: the same with the bytes signed by ``dkim_sign``
  (rsa-sha256, a 2048-bit key made with ``openssl genrsa``).

Each measurement runs in a fresh child process, so its peak resident size
(``ru_maxrss``) is its own: reported above the child's size after its
imports.  A second child per row and round runs the same work under
``tracemalloc`` for the peak of Python's allocations (timings are taken
without it).  Medians over the rounds, with min and max; ``x bytes`` is
the median over the rounds of a row's total time divided by the bytes
row's total in the same round (paired, since the machine is shared).

Options: ``--mib 10`` (attachment size), ``--reps 5``.
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

    from smtp_core import dkim_sign, envelope, message, send

    address = "127.0.0.1:%d" % port
    spec = {"from": "bench@example.com", "to": "sink@example.com", "subject": "10 MiB",
            "body": ["Attached.\n", {"type": "attachment", "path": path}]}
    prebuilt = envelope(message(spec)).data if row == "bytes" else None
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    if row == "bytes":
        data = prebuilt
        sender, recipients = "bench@example.com", ["sink@example.com"]
    else:
        sender, recipients, data = envelope(message(spec))
        if row == "compose+dkim":
            data = dkim_sign(data, domain="example.com", selector="bench", private_key=key)
    composed = time.perf_counter()
    send(address, sender, recipients, data, tls="none", timeout=60)
    done = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    return {"compose_s": composed - start, "total_s": done - start, "wire": len(data), "traced_peak": peak,
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
    parser.add_argument("--mib", type=float, default=10)
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
        path = os.path.join(tmp, "attachment.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(int(args.mib * 2**20)))
        key = os.path.join(tmp, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
        results: dict = {row: [] for row in ROWS}
        with start_sink_process(max_seconds=1800) as sink:
            for rep in range(args.reps):
                order = ROWS[rep % len(ROWS):] + ROWS[:rep % len(ROWS)]
                for row in order:
                    timed = _run_child(row, sink.port, path, key, traced=False)
                    timed["traced_peak"] = _run_child(row, sink.port, path, key, traced=True)["traced_peak"]
                    results[row].append(timed)
    print("compose + send of a %g MiB attachment (%d rounds; median [min-max])" % (args.mib, args.reps))
    print("%-13s %10s %-22s %-22s %-9s %-14s %-14s" % ("row", "wire", "compose s", "total s", "x bytes",
                                                    "tracemalloc", "RSS growth"))
    for row in ROWS:
        runs = results[row]

        def spread(key: str) -> str:
            values = [r[key] for r in runs]
            return "%.3f [%.3f-%.3f]" % (statistics.median(values), min(values), max(values))

        # Paired: each round's total over the same round's bytes row.
        ratio = statistics.median(r["total_s"] / b["total_s"] for r, b in zip(runs, results["bytes"]))
        print("%-13s %10s %-22s %-22s %-9s %-14s %-14s" % (
            row, _mib(runs[0]["wire"]), spread("compose_s"), spread("total_s"), "%.1f" % ratio,
            _mib(statistics.median(r["traced_peak"] for r in runs)),
            _mib(statistics.median(r["rss_over_base"] for r in runs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
