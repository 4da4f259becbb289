"""What making bare CR and bare LF into CRLF costs ``send``: 32 MiB bodies
sent to the bench sink, with and without ``normalize_line_ends``, and
(optionally) with the code from before it existed.

One command, from the project root, with the project's virtualenv::

    python -m bench.line_ends [--mib 32] [--reps 7] [--before DIR]

``--before DIR`` is a checkout of ``smtp_core`` from before the change
(``git archive <commit> smtp_core | tar -x -C DIR``); it is measured as a
third variant.  Every measurement runs in a fresh child process (the
variants' code cannot mix), the variants interleaved round after round
(A B C, B C A, ...) so that a busy moment of the machine falls on each
alike; each child connects once, sends one untimed warm-up message, then
times ``send`` of the message three times and reports the best.
``--encode-only`` times the body's encoding alone, without the network
(whole bytes, or the file read and encoded chunk by chunk as the send
layer does), best of five per child.  The
table gives the median over rounds and the median of the paired ratios
against ``keep`` (``normalize_line_ends=False``: Go's bytes).

Bodies: ``crlf`` (well formed: CRLF line ends, one line in four starting
with a dot), ``lf`` (the same text with bare LF line ends, as files written
on Unix have), ``cr`` (one line end in eight a bare CR).  Inputs: ``bytes``
and ``file`` (streamed in 64 KiB chunks from a temporary file).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.sink import start_sink_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def body(kind: str, mib: int) -> bytes:
    lines = [b"Subject: bench\r\n", b"\r\n"]
    text = b"The quick brown fox jumps over the lazy dog, and again, and once more ..."
    for i in range(mib * 1024 * 1024 // (len(text) + 3)):
        lines.append((b"." if i % 4 == 0 else b"") + text + b"\r\n")
    data = b"".join(lines)
    if kind == "lf":
        return data.replace(b"\r\n", b"\n")
    if kind == "cr":
        parts = data.split(b"\r\n")
        return b"".join(p + (b"\r" if i % 8 == 7 else b"\r\n") for i, p in enumerate(parts))
    return data


def encode_only(args) -> float:
    """Best of 5: the body's encoding alone (no network), as the send layer does it."""
    from smtp_core.protocol import dotstuff
    from smtp_core.pythonic import message as prep

    keep = {"before": (), "keep": (False,), "normalize": (True,)}[args.variant]
    # The stream path's encoder: Go's, or (normalising) the one that makes line ends CRLF first.
    make_encoder = dotstuff.CRLFDotEncoder if args.variant == "normalize" else dotstuff.DotEncoder
    best = float("inf")
    for _ in range(5):
        with open(args.path, "rb") as f:
            if args.input == "bytes":
                data = f.read()
                start = time.perf_counter()
                prep.encode_whole(data, *keep)
            else:
                start = time.perf_counter()
                encoder = make_encoder()
                while True:
                    chunk = prep.read_chunk(f)
                    if not chunk:
                        break
                    encoder.encode(chunk)
                encoder.finish()
        best = min(best, time.perf_counter() - start)
    return best


def child(args) -> None:
    """Time one variant; print ``{"seconds": best}`` as JSON."""
    if args.encode_only:
        print(json.dumps({"seconds": encode_only(args)}))
        return
    from smtp_core import connect, send

    options = {} if args.variant == "before" else {"normalize_line_ends": args.variant == "normalize"}
    client = connect("127.0.0.1:%d" % args.port, tls="none", timeout=60)
    times = []
    for attempt in range(4):
        if args.input == "file":
            with open(args.path, "rb") as message:
                start = time.perf_counter()
                send(client, "a@example.com", ["b@example.com"], message, **options)
        else:
            with open(args.path, "rb") as f:
                message = f.read()
            start = time.perf_counter()
            send(client, "a@example.com", ["b@example.com"], message, **options)
        if attempt:  # the first is the warm-up
            times.append(time.perf_counter() - start)
    client.quit()
    print(json.dumps({"seconds": min(times)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=32)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--before", help="a directory holding smtp_core from before the change")
    parser.add_argument("--encode-only", action="store_true",
                        help="time the body's encoding alone, without the network (best of 5 per child)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant")
    parser.add_argument("--input")
    parser.add_argument("--path")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    variants = ["keep", "normalize"] + (["before"] if args.before else [])
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp, start_sink_process() as sink:
        paths = {}
        for kind in ("crlf", "lf", "cr"):
            paths[kind] = os.path.join(tmp, kind + ".eml")
            with open(paths[kind], "wb") as f:
                f.write(body(kind, args.mib))
        for rep in range(args.reps):
            order = variants[rep % len(variants):] + variants[:rep % len(variants)]
            for kind in paths:
                for source in ("bytes", "file"):
                    for variant in order:
                        root = args.before if variant == "before" else ROOT
                        run_env = dict(env, PYTHONPATH=os.pathsep.join([root, ROOT]))
                        out = subprocess.run(
                            [sys.executable, "-m", "bench.line_ends", "--child", "--variant", variant,
                             "--input", source, "--path", paths[kind], "--port", str(sink.port)]
                            + (["--encode-only"] if args.encode_only else []),
                            cwd=tmp, env=run_env, capture_output=True, text=True, timeout=600, check=True)
                        seconds = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
                        results.setdefault((kind, source, variant), []).append(seconds)
            print("round %d of %d done" % (rep + 1, args.reps), file=sys.stderr)

    mib = args.mib
    print("%d MiB body, %d rounds%s; MiB/s as median (min-max); time ratio: median of the rounds' ratios "
          "against keep\n" % (mib, args.reps, ", encoding only" if args.encode_only else ""))
    print("| body | input | " + " | ".join(variants) + " | " + " | ".join(v + "/keep" for v in variants[1:]) + " |")
    print("|---|---|" + "---|" * (2 * len(variants) - 1))
    for kind in ("crlf", "lf", "cr"):
        for source in ("bytes", "file"):
            cells = []
            for variant in variants:
                speeds = [mib / s for s in results[(kind, source, variant)]]
                cells.append("%.0f (%.0f-%.0f)" % (statistics.median(speeds), min(speeds), max(speeds)))
            keep = results[(kind, source, "keep")]
            for variant in variants[1:]:
                ratios = [t / k for t, k in zip(results[(kind, source, variant)], keep)]
                cells.append("%.2f" % statistics.median(ratios))
            print("| %s | %s | %s |" % (kind, source, " | ".join(cells)))


if __name__ == "__main__":
    main()
