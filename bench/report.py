"""The report: the Markdown that ``python -m bench`` prints and writes to
``bench/results.md``.

:func:`render` turns one run (:class:`bench.harness.Outcome`) into the
whole document: the machine, the results table, the cases and clients, the
targets, sentences reading the figures against each other, import times,
the wire check, notes and profiles.  The figures themselves come from
:mod:`bench.figures`; nothing here measures.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench.clients import describe
from bench.figures import (best_ratio, import_figures, layer_figures, paired, ratio, summarise,
                           targets)
from bench.harness import CASES, CLIENT_ORDER, IMPORT_STATEMENT, ROOT, GoTool, Outcome, Profile

CASE_TITLES = {
    "one-conn": "N x 1 KiB messages, one connection",
    "per-conn": "N x 1 KiB messages, a new connection per message",
    "stream": "one big message with dot-lines, streamed from a file",
}


# ---------------------------------------------------------------------------- the table

def fmt_rate(value: float) -> str:
    return "%.0f" % value if value >= 100 else "%.1f" % value


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else "%.2fx" % value


def results_table(summary: dict) -> list[str]:
    lines = ["| case | client | rate: median (min-max) | vs Go | vs Go, best | vs smtplib | loop CPU | CPU busy "
             "| peak RSS | process CPU |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for case in CASES:
        for client in CLIENT_ORDER:
            s = summary.get((case, client))
            if s is None:
                continue
            med, lo, hi = s["rate"]
            unit = "MiB/s" if case == "stream" else "msg/s"
            cpu = ("%.3f s" % s["cpu_per_msg"]) if case == "stream" else ("%.0f us/msg" % (s["cpu_per_msg"] * 1e6))
            lines.append("| %s | %s | %s %s (%s-%s) | %s | %s | %s | %s | %.0f%% | %.1f MiB | %.2f s |" % (
                case, client, fmt_rate(med), unit, fmt_rate(lo), fmt_rate(hi),
                fmt_ratio(ratio(summary, case, client, "go")),
                fmt_ratio(best_ratio(summary, case, client, "go")),
                fmt_ratio(ratio(summary, case, client, "smtplib")),
                cpu, s["busy"] * 100, s["rss"], s["proc_cpu"]))
    return lines


# ---------------------------------------------------------------------------- the reading

def explanations(summary: dict) -> list[str]:
    """Sentences that read this run's figures against each other (no judgement by hand)."""
    out = []

    def get(case: str, client: str) -> dict | None:
        return summary.get((case, client))

    go, hy, core, floor, lib = (get("one-conn", c) for c in ("go", "hy-ns", "core", "socket-floor", "smtplib"))
    if hy and floor:
        parts = ["One connection, lockstep: the bare socket loop (socket-floor) reaches %s msg/s"
                 % fmt_rate(floor["rate"][0])]
        if go:
            parts.append(", %.2fx Go" % ratio(summary, "one-conn", "socket-floor", "go"))
        if lib:
            parts.append(", %.2fx smtplib" % ratio(summary, "one-conn", "socket-floor", "smtplib"))
        parts.append("; hy-ns reaches %.0f%% of it. " % (ratio(summary, "one-conn", "hy-ns", "socket-floor") * 100))
        cpus = ", ".join("%s %.0f us" % (name, s["cpu_per_msg"] * 1e6)
                         for name, s in (("go", go), ("hy-ns", hy), ("core", core), ("smtplib", lib),
                                         ("socket-floor", floor)) if s)
        parts.append("Loop CPU per message: %s. " % cpus)
        parts.append("With four round trips per message, every client is busy only about %.0f%% of the "
                     "time (hy-ns); the rest is waiting for replies, so no lockstep client can pass the "
                     "floor, and a ratio to smtplib above the floor's is out of reach." % (hy["busy"] * 100))
        out.append("".join(parts))
    send, pfloor = get("one-conn", "core-send"), get("one-conn", "pipelined-floor")
    if send and go:
        line = ("Pipelined send_many: %.0f us wall and %.0f us CPU per message (one round trip: each body "
                "carries the next envelope); 2.0x Go needs %.0f us wall per message in all." % (
                    send["time_per_msg"] * 1e6, send["cpu_per_msg"] * 1e6, go["time_per_msg"] * 1e6 / 2))
        if pfloor:
            line += (" The bare pipelined loop (pipelined-floor, %.0f us CPU per message) reaches %.2fx Go: "
                     "the ceiling of any client that pipelines one message at a time (send, core-send-1); "
                     "core-send reaches %.0f%% of it." % (
                         pfloor["cpu_per_msg"] * 1e6, ratio(summary, "one-conn", "pipelined-floor", "go"),
                         ratio(summary, "one-conn", "core-send", "pipelined-floor") * 100))
        single = get("one-conn", "core-send-1")
        if single:
            line += (" One send() per message (core-send-1, two round trips): %.2fx Go, %.0f us CPU per message."
                     % (ratio(summary, "one-conn", "core-send-1", "go"), single["cpu_per_msg"] * 1e6))
        out.append(line)
    pgo, phy, pcore = (get("per-conn", c) for c in ("go", "hy-ns", "core"))
    if pgo and phy:
        line = "New connection per message: loop CPU per message go %.0f us, hy-ns %.0f us" % (
            pgo["cpu_per_msg"] * 1e6, phy["cpu_per_msg"] * 1e6)
        if pcore:
            line += ", core %.0f us" % (pcore["cpu_per_msg"] * 1e6)
        out.append(line + ".")
    sgo, shy, score = (get("stream", c) for c in ("go", "hy-ns", "core"))
    if sgo and shy:
        out.append("Stream: loop CPU go %.2f s, hy-ns %.2f s%s; busy go %.0f%%, hy-ns %.0f%%." % (
            sgo["cpu_per_msg"], shy["cpu_per_msg"], ", core %.2f s" % score["cpu_per_msg"] if score else "",
            sgo["busy"] * 100, shy["busy"] * 100))
    return out


# ---------------------------------------------------------------------------- profiles

def profile_lines(profiles: list[Profile], top: int) -> list[str]:
    """One table of the ``top`` entries by own time per profiled run."""
    lines = []
    for profile in profiles:
        stats, messages = profile.stats, profile.messages
        total = stats.total_tt
        unit, scale = ("us/msg", 1e6 / messages) if profile.case == "one-conn" else ("ms", 1e3)
        lines.append("")
        lines.append("### %s, %s (profiled: %.0f %s total, %d messages)" % (
            profile.client, profile.case, total * scale, unit, messages))
        lines.append("")
        lines.append("| own time (%s) | share | calls/msg | function |" % unit)
        lines.append("|---|---|---|---|")
        entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
        for (filename, lineno, name), (cc, nc, tt, ct, callers) in entries:
            where = "%s:%d(%s)" % (short_path(filename), lineno, name) if lineno else name
            lines.append("| %.1f | %.0f%% | %.1f | `%s` |" % (
                tt * scale, tt / total * 100 if total else 0, nc / messages, where))
    return lines


def short_path(filename: str) -> str:
    for marker in (str(ROOT) + os.sep, "site-packages" + os.sep, "lib" + os.sep + "python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# ---------------------------------------------------------------------------- machine

def code_revision() -> str:
    """The commit measured, and whether the engine or namespace had local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(ROOT), capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "smtp_core", "go_std"], cwd=str(ROOT),
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return "git %s%s" % (head, " with local changes to smtp_core or go_std" if dirty else "")


def machine_lines(go: GoTool, sink_description: str, loads: tuple[str, str] = ("?", "?")) -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    try:
        import hy

        hy_version = hy.__version__
    except ImportError:
        hy_version = "not installed"
    return [
        "- date: %s; code: %s" % (datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                                  code_revision()),
        "- machine: nproc %s, CPU %s, %s %s" % (nproc, cpu, platform.system(), platform.release()),
        "- Python %s (%s), Hy %s" % (platform.python_version(), sys.executable, hy_version),
        "- Go: %s" % (go.version or "not available"),
        "- sink: %s, on 127.0.0.1, in its own process" % sink_description,
        "- load average (1 min) when the rounds began and when they ended: %s, %s (the bench alone keeps it "
        "near 1; well above means other work competed for the %s CPUs)" % (loads[0], loads[1], nproc),
    ]


# ---------------------------------------------------------------------------- the document

def render(args, outcome: Outcome) -> str:
    """The whole report of one run; ``args`` are the command line's (see :mod:`bench.cli`)."""
    jobs, wire_rows, notes = outcome.jobs, outcome.wire_rows, outcome.notes
    summary, imports = summarise(jobs), import_figures(jobs)
    profiles = profile_lines(outcome.profiles, args.profile_top)
    lines = ["# Benchmark results", ""]
    lines += machine_lines(outcome.go, outcome.sink_description, outcome.loads)
    lines += [
        "- command: `%s`" % " ".join(["python -m bench"] + args.argv),
        "- sizes: N = %d messages of %d bytes (new-connection case: %d), streamed message %.1f MiB, "
        "%d repetitions interleaved" % (args.n, args.msg_size, args.per_conn_n,
                                        outcome.big_size / (1 << 20), args.reps),
        "",
        "Rates are the sending loop only (dial included, start-up excluded): messages/s, or MiB/s "
        "for the streamed message. Ratios are paired: the median over rounds of the two clients' "
        "ratio within the round; \"best\" divides the two clients' best rounds. Loop CPU is the "
        "client's own user+system time (per message, or in total for the stream); CPU busy is "
        "loop CPU over loop wall time (100% means the client, not the sink, is the bottleneck); "
        "peak RSS is the whole client process (its own VmHWM); process CPU is the whole child "
        "(start-up and imports included) as os.wait4 reports it.",
        "",
    ]
    lines += results_table(summary)
    lines += ["", "Cases:", ""] + ["- `%s`: %s" % (case, CASE_TITLES[case]) for case in CASES
                                   if any(j.case == case and j.samples for j in jobs)]
    lines += ["", "Clients:", ""]
    lines += ["- `go`: Go's net/smtp via bench/go/main.go (one-conn: Dial + Mail/Rcpt/Data/Write/Close; "
              "per-conn: smtp.SendMail; stream: io.Copy from the file into the Data writer)"]
    for client in CLIENT_ORDER[1:]:
        if any(j.client == client and j.samples for j in jobs):
            lines.append("- `%s`: %s" % (client, describe(client)))
    lines += ["", "## Targets (issue 6)", "",
              "Measured twice: the paired median over rounds (as in the table) and the ratio of each "
              "client's best round, the least disturbed by other work on the machine.", "",
              "| target | paired median | best rounds | verdict | gap |", "|---|---|---|---|---|"]
    layer = layer_figures(jobs)
    for row in targets(summary, imports, layer):
        lines.append("| %s |" % " | ".join(row))
    hy, core = summary.get(("one-conn", "hy-ns")), summary.get(("one-conn", "core"))
    if hy and core:
        lines += ["", "Hy layer over core, one connection: medians %.1f us vs %.1f us wall per message "
                  "(paired by round: %+.1f%%), %.1f us vs %.1f us CPU per message (%+.1f%%)." % (
                      hy["time_per_msg"] * 1e6, core["time_per_msg"] * 1e6,
                      (paired(hy["times"], core["times"]) - 1) * 100,
                      hy["cpu_per_msg"] * 1e6, core["cpu_per_msg"] * 1e6,
                      (hy["cpu_per_msg"] / core["cpu_per_msg"] - 1) * 100)]
    if layer:
        lines += ["", "Hy layer over core, the Python work alone (the same loops on a stand-in socket that "
                  "answers at once, both in one process, best of 7 turns, median over rounds; "
                  "bench/clients/layer_cost.py): core %.1f us, hy-ns %.1f us per message (%+.1f%%)." % (
                      layer["core"] * 1e6, layer["hy-ns"] * 1e6, layer["extra"] * 100)]
    reading = explanations(summary)
    if reading:
        lines += ["", "## Reading the figures", ""] + ["- " + r for r in reading]
    if imports:
        lines += ["", "## Import time of go_std.net.smtp", "",
                  "In-process time of `%s` (Hy itself included), median (min-max):" % IMPORT_STATEMENT, ""]
        labels = {"cold": "cold (fresh copy, no bytecode cache, nothing written)", "warm": "warm (bytecode cached)"}
        for kind in ("cold", "warm"):
            if kind in imports:
                med, lo, hi = imports[kind]
                lines.append("- %s: %.3f s (%.3f-%.3f)" % (labels[kind], med, lo, hi))
    if wire_rows:
        lines += ["", "## Wire bytes of the streamed message", "",
                  "sha256 of the DATA payload as the hashing sink (bench/sink.py) received it, against "
                  "the payload our DotEncoder makes of the whole file in one piece:", ""]
        for client, digest, ok in wire_rows:
            lines.append("- %s: `%s` %s" % (client, digest[:16], "identical" if ok else "DIFFERENT"))
        if not any(c == "go" for c, _, _ in wire_rows):
            lines.append("- (no Go run: the check is against our own encoder only)")
    if notes:
        lines += ["", "## Notes", ""] + ["- " + n.replace("\n", " ") for n in notes]
    if profiles:
        lines += ["", "## Profiles",
                  "",
                  "cProfile, one run each: own wall time of the top entries (socket calls include the "
                  "kernel's loopback work; cProfile roughly doubles the cost of Python-level calls)."]
        lines += profiles
    return "\n".join(lines) + "\n"
