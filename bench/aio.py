"""``python -m bench.aio``: the asyncio driver against aiosmtplib and our blocking client.

Issue 19's benchmark.  One sink (Postfix's ``smtp-sink`` when installed,
else ``bench.sink``), 1 KiB messages, every client in its own child
process (``python -m bench.clients``), the rounds interleaved (the order
rotates each round) so that a busy spell of the machine falls on every
client alike; ratios are paired medians (within a round, then the median
over rounds, :func:`bench.figures.paired`).

Rows (``bench/clients/__init__.py`` says what each one is):

- lockstep, one message at a time over one connection: ``aio-lockstep``
  and ``aio-send-1`` against ``aiosmtplib``;
- pipelined over one connection: ``aio-send`` against ``aiosmtplib`` and
  against our blocking ``core-send``;
- ``aio-pool``: a Pool of 4 and ``--pool-n`` concurrent sends (msg/s and
  the child's peak RSS);
- CPU per message of each row (user + system of the sending loop), with
  ``aio-send`` beside ``core-send``;
- context switches per message of each row (the child's voluntary and
  involuntary ones, its start included, from the kernel's rusage of the
  children): what the CPU ratio of ``aio-send`` to ``core-send`` follows.
  The blocking client sleeps in ``recv`` once per message at any load.
  The asyncio driver's own work after a write (back through its wait and
  the loop to ``select``) outlasts the sink's reply when the sink has the
  other CPU, so at low load it finds the reply waiting and hardly
  switches; when it shares a CPU (the load, or the sink on its CPU) it is
  switched out once per message too, and that costs it more than it
  costs the blocking client (bench/async-results.md, "Why the CPU ratio
  moves with the load");
- the floors, not clients: ``aio-floor-many`` (a bare asyncio buffered
  Protocol that only counts reply lines, in ``send_many``'s shape, a
  Future per reply), ``aio-callback-floor`` (the same writing each batch
  from the Protocol's callback: no Future, no task) and ``floor-many``
  (the same with a blocking socket).  What the loop itself costs per
  message, beyond a blocking socket, is measured between the callback
  floor and the blocking one; when that alone exceeds 20% of
  ``core-send``'s CPU, no asyncio client can meet the CPU target on that
  loop.

Adds each run to ``bench/async-results.md`` as its newest section, unless ``--no-write``.
Options: ``-n 2000``, ``--pool-n 1000``, ``--reps 5``, ``--sink auto|python|smtp-sink``,
``--loop asyncio|uvloop|both`` (every asyncio client, aiosmtplib included, on that loop; the
blocking rows do not use one), ``--place any|shared|apart`` (where the sink and the clients
run: on any CPU, the default; all on one CPU, so that every client is switched out once per
message whatever the load; the sink on one CPU and the clients on another, as on a quiet
machine), so that the CPU ratios can be compared like for like.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import resource
import statistics
import sys
from pathlib import Path

from bench.clients import describe
from bench.figures import paired
from bench.harness import Job, Runner, load_average, start_sink
from bench.history import record_run
from bench.messages import make_message

ROWS = ("aio-lockstep", "aio-send-1", "aiosmtplib", "aio-send", "core-send", "core-send-1", "aio-pool",
        "aio-floor-many", "aio-callback-floor", "floor-many")
#: (name, row, against, goal): the issue's targets, checked on the paired medians.
TARGETS = (
    ("lockstep: aio >= 2x aiosmtplib", "aio-lockstep", "aiosmtplib", 2.0),
    ("one message at a time: aio.send >= 2x aiosmtplib", "aio-send-1", "aiosmtplib", 2.0),
    ("pipelined: aio.send_many >= 4x aiosmtplib", "aio-send", "aiosmtplib", 4.0),
    ("pipelined: aio.send_many >= 0.9x blocking send_many", "aio-send", "core-send", 0.9),
)
RESULTS = Path(__file__).with_name("async-results.md")


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def switches_of_children() -> int:
    """Context switches, voluntary and involuntary, of the children waited for so far
    (the runner waits for each client before it returns)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_nvcsw + usage.ru_nivcsw


#: --place: (the sink's CPU, the clients' CPU) as indexes into the CPUs this process may use
#: (None: not pinned), and the words of the report's header.
PLACES = {
    "any": (None, "any (not pinned)"),
    "shared": ((0, 0), "the sink and every client on one CPU (--place shared)"),
    "apart": ((0, 1), "the sink on one CPU, the clients on another (--place apart)"),
}


def placement(place: str) -> tuple[set, set] | None:
    """The CPU sets of the sink and of the clients for ``--place`` (``None``: any CPU)."""
    indexes = PLACES[place][0]
    if indexes is None:
        return None
    usable = sorted(os.sched_getaffinity(0))
    sink, clients = indexes
    if clients >= len(usable):
        raise SystemExit("--place %s needs two CPUs; this process may use only CPU %s" % (place, usable[0]))
    return {usable[sink]}, {usable[clients]}


def measure(args) -> dict:
    """Run the interleaved rounds; ``{(loop, row): [figures of each round]}``."""
    msg_path = Path(args.workdir) / "msg-1k.eml"
    msg_path.write_bytes(make_message(1024))
    plan = [(loop, row) for loop in args.loops for row in args.rows]
    samples: dict[tuple, list] = {key: [] for key in plan}
    cpus, mine = placement(args.place), os.sched_getaffinity(0)
    try:
        # Children inherit this process's CPUs: the sink's while it starts, the clients' after.
        if cpus is not None:
            os.sched_setaffinity(0, cpus[0])
        with start_sink(args.sink) as sink:
            if cpus is not None:
                os.sched_setaffinity(0, cpus[1])
            rounds(args, sink, msg_path, plan, samples)
    finally:
        os.sched_setaffinity(0, mine)
    os.environ.pop("BENCH_LOOP", None)
    return samples


def rounds(args, sink, msg_path: Path, plan: list, samples: dict) -> None:
    """The warm-up round, then ``args.reps`` rounds, each client once per round, the order rotating."""
    runner = Runner(args, "127.0.0.1:%d" % sink.port, None, msg_path, msg_path, Path(args.workdir))
    args.sink_description = sink.description
    for rep in range(-1, args.reps):  # round -1: warm-up, untimed (caches compiled, every client works)
        shift = max(rep, 0) % len(plan)
        for loop, row in plan[shift:] + plan[:shift]:
            os.environ["BENCH_LOOP"] = loop  # the child's event loop (bench.clients.use_event_loop)
            n = 10 if rep < 0 else args.pool_n if row == "aio-pool" else args.n
            before = switches_of_children()
            result = runner.run(Job("one-conn", row), n=n)
            if rep >= 0:
                samples[loop, row].append({
                    "rate": result.figures["messages"] / result.figures["seconds"],
                    "cpu_us": result.figures["cpu"] / result.figures["messages"] * 1e6,
                    "switches": (switches_of_children() - before) / result.figures["messages"],
                    "rss_mib": result.maxrss_mib})


def report(args, samples: dict) -> str:
    lines = [
        "# Async benchmark (issue 19): smtp_core.aio, aiosmtplib, our blocking client",
        "",
        "Run %s UTC on %s (%d CPUs, load %s), Python %s; sink: %s; %d rounds, interleaved; "
        "1 KiB messages, n=%d (pool: %d concurrent sends); CPUs: %s." % (
            datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), platform.node() or "?", os.cpu_count() or 0,
            load_average(), platform.python_version(), args.sink_description, args.reps, args.n, args.pool_n,
            PLACES[args.place][1]),
        "",
    ] + ["Note: %s" % note for note in args.notes] + ([""] if args.notes else [])
    for loop in args.loops:
        def col(row, key):
            return [s[key] for s in samples[loop, row]]

        lines += [
            "## Event loop: %s (the asyncio clients, aiosmtplib included, all on it)" % loop,
            "",
            "| client | what | msg/s median (min-max) | x aiosmtplib (paired) | CPU us/msg | switches/msg "
            "| peak RSS MiB |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in args.rows:
            rates = col(row, "rate")
            x = "%.2fx" % paired(rates, col("aiosmtplib", "rate")) if "aiosmtplib" in args.rows else "-"
            lines.append("| %s | %s | %.0f (%.0f-%.0f) | %s | %.1f | %.2f | %.1f |" % (
                row, describe(row), statistics.median(rates), min(rates), max(rates), x,
                statistics.median(col(row, "cpu_us")), statistics.median(col(row, "switches")),
                statistics.median(col(row, "rss_mib"))))
        lines += ["", "Targets (paired medians):", ""]
        for name, row, against, goal in TARGETS:
            if against not in args.rows:
                continue
            value = paired(col(row, "rate"), col(against, "rate"))
            lines.append("- %s: **%.2fx** %s" % (name, value, "met" if value >= goal else "NOT met"))
        cpu = paired(col("aio-send", "cpu_us"), col("core-send", "cpu_us"))
        lines += ["- CPU per message, aio.send_many / blocking send_many: **%.2fx** (within 20%%: %s), "
                  "at %.2f context switches per message against %.2f"
                  % (cpu, "yes" if cpu <= 1.2 else "no", statistics.median(col("aio-send", "switches")),
                     statistics.median(col("core-send", "switches")))]
        floor = [a - b for a, b in zip(col("aio-callback-floor", "cpu_us"), col("floor-many", "cpu_us"))]
        share = paired(floor, col("core-send", "cpu_us"))
        lines += ["- the loop's own cost (bare callback Protocol minus bare socket): **%.1f us/msg** CPU (paired median), "
                  "**%.0f%%** of blocking send_many's CPU: the 20%% target is %s on this loop"
                  % (statistics.median(floor), share * 100, "out of reach" if share > 0.2 else "within reach"), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aio", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--pool-n", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--sink", default="auto", choices=("auto", "python", "smtp-sink"))
    parser.add_argument("--loop", default="both", choices=("asyncio", "uvloop", "both"),
                        help="event loop of the asyncio clients (uvloop: from the bench extra)")
    parser.add_argument("--place", default="any", choices=tuple(PLACES),
                        help="CPUs of the sink and the clients: any; shared (one CPU); apart (one each)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    args.loops = ("asyncio", "uvloop") if args.loop == "both" else (args.loop,)
    args.rows, args.notes = ROWS, []
    if not installed("aiosmtplib"):
        args.rows = tuple(row for row in ROWS if row != "aiosmtplib")
        args.notes.append("aiosmtplib is not installed (the bench extra installs it): its row and ratios skipped")
    if "uvloop" in args.loops and not installed("uvloop"):
        if args.loop == "uvloop":
            raise SystemExit("uvloop is not installed (pip install -e '.[bench]')")
        args.loops = ("asyncio",)
        args.notes.append("uvloop is not installed (the bench extra installs it): its rounds skipped")
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        args.workdir = workdir
        args.python = sys.executable
        text = report(args, measure(args))
    print(text)
    if not args.no_write:
        record_run(RESULTS, text, "python -m bench.aio " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
