"""Run every benchmark client side by side, in one run, against one sink.

The command line, ``python -m bench`` (from the project root, with the
project's venv), measures, for each case, each client in its own child process, and
repeats the whole round several times with the clients interleaved
(A B C, B C A, ...), so that a slow moment of this shared machine hits
every client alike.  It prints a table of medians with min and max, the
ratios against Go's net/smtp and smtplib in the same run, the targets of
issue 6 met or missed, and writes ``bench/results.md``.

Options worth knowing (``python -m bench --help`` lists them all)::

    python -m bench                      # N=2000, 5 repetitions, 32 MiB
    python -m bench -n 500 --reps 3      # quicker
    python -m bench --profile            # also cProfile our clients
    python -m bench --smoke              # seconds; what the test suite runs

The figures measured in the child are the sending loop only (dialing
included, interpreter start-up and imports excluded): wall time and CPU
time.  Peak RSS is the whole child process (``os.wait4``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.harness import BENCH_DIR, CASES, measure
from bench.report import render


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages per one-connection run (default 2000)")
    parser.add_argument("--per-conn-n", type=int, default=None, help="messages for the new-connection case (default: n)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the whole round (default 5)")
    parser.add_argument("--stream-mib", type=float, default=32.0, help="size of the streamed message (default 32)")
    parser.add_argument("--msg-size", type=int, default=1024, help="bytes per message (default 1024)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument("--clients", default=None, help="comma-separated clients (default: all)")
    parser.add_argument("--sink", choices=("auto", "smtp-sink", "python"), default="auto")
    parser.add_argument("--go", default=None, help="the go command (default: searched)")
    parser.add_argument("--no-go", action="store_true", help="skip the Go client")
    parser.add_argument("--import-reps", type=int, default=None, help="import timings per kind (default: reps)")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up round")
    parser.add_argument("--layer-n", type=int, default=3000,
                        help="messages per turn of the no-network Hy layer measurement (0: skip)")
    parser.add_argument("--profile", action="store_true", help="also cProfile our clients and report top costs")
    parser.add_argument("--profile-top", type=int, default=12)
    parser.add_argument("--python", default=None, help="interpreter for the Python clients (default: this one)")
    parser.add_argument("--out", default=str(BENCH_DIR / "results.md"), help="where to write the results")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write results")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny, quick run (N=10, 1 repetition, 256 KiB, Python sink, no Go, no file)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.smoke:
        args.n, args.reps, args.stream_mib = min(args.n, 10), 1, min(args.stream_mib, 0.25)
        args.sink, args.no_go, args.no_write, args.no_warmup = "python", True, True, True
        args.layer_n = min(args.layer_n, 200)
        args.import_reps = 1 if args.import_reps is None else args.import_reps
    if args.per_conn_n is None:
        args.per_conn_n = args.n
    if args.import_reps is None:
        args.import_reps = args.reps
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print and (unless ``--no-write``) write the report; 1 if a wire digest differs."""
    args = parse_args(argv)
    outcome = measure(args)
    report = render(args, outcome)
    print()
    print(report)
    if not args.no_write:
        Path(args.out).write_text(report)
        print("written to %s" % args.out)
    return 0 if outcome.wire_ok else 1


if __name__ == "__main__":
    sys.exit(main())
