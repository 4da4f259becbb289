"""From samples to figures: medians, paired ratios, and issue 6's targets.

A job's samples are one :class:`bench.harness.ChildResult` per round.
:func:`summarise` reduces them to medians (with min and max) per job;
ratios between two clients are *paired* (:func:`paired`): the median over
rounds of the ratio within each round, in which both ran seconds apart,
so that a slow spell of the machine cancels out.  :func:`best_ratio`
divides the two clients' best rounds instead, the least disturbed ones.
"""

from __future__ import annotations

import statistics

from bench.harness import ChildResult, Job


def rate_of(job: Job, sample: ChildResult) -> float:
    f = sample.figures
    if job.case == "stream":
        return f["bytes"] / (1 << 20) / f["seconds"]
    return f["messages"] / f["seconds"]


def med_min_max(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def summarise(jobs: list[Job]) -> dict:
    """Per job: median/min/max rate, CPU per message, busy share, RSS."""
    summary = {}
    for job in jobs:
        if not job.samples or job.case in ("import", "layer"):
            continue
        rates = [rate_of(job, s) for s in job.samples]
        per_msg_cpu = [s.figures["cpu"] / s.figures["messages"] for s in job.samples]
        per_msg_time = [s.figures["seconds"] / s.figures["messages"] for s in job.samples]
        busy = [s.figures["cpu"] / s.figures["seconds"] for s in job.samples]
        summary[job.key] = {
            "rates": rates,  # one per round, in round order
            "times": per_msg_time,
            "rate": med_min_max(rates),
            "cpu_per_msg": statistics.median(per_msg_cpu),
            "time_per_msg": statistics.median(per_msg_time),
            "busy": statistics.median(busy),
            "proc_cpu": statistics.median(s.proc_cpu for s in job.samples),
            "rss": statistics.median(s.maxrss_mib for s in job.samples),
            "rss_max": max(s.maxrss_mib for s in job.samples),
            "reps": len(job.samples),
        }
    return summary


def paired(a: list[float], b: list[float]) -> float:
    """The median over rounds of ``a[i] / b[i]``: both ran in the same round,
    minutes or seconds apart, so a slow spell of the machine cancels out."""
    if len(a) == len(b) and a:
        return statistics.median(x / y for x, y in zip(a, b))
    return statistics.median(a) / statistics.median(b)


def ratio(summary: dict, case: str, client: str, against: str) -> float | None:
    a, b = summary.get((case, client)), summary.get((case, against))
    if a is None or b is None:
        return None
    return paired(a["rates"], b["rates"])


def layer_figures(jobs: list[Job]) -> dict | None:
    """Per-message Python work of core and hy-ns without a network (best per round)."""
    for job in jobs:
        if job.case == "layer" and job.samples:
            core = [s.figures["core"] for s in job.samples]
            hy = [s.figures["hy-ns"] for s in job.samples]
            return {"core": statistics.median(core), "hy-ns": statistics.median(hy), "extra": paired(hy, core) - 1}
    return None


def import_figures(jobs: list[Job]) -> dict:
    out = {}
    for job in jobs:
        if job.case == "import" and job.samples:
            out[job.client] = med_min_max([s.figures["seconds"] for s in job.samples])
    return out


def best_ratio(summary: dict, case: str, client: str, against: str) -> float | None:
    """Ratio of the two clients' best rounds: the least disturbed run of each."""
    a, b = summary.get((case, client)), summary.get((case, against))
    if a is None or b is None:
        return None
    return a["rate"][2] / b["rate"][2]


def targets(summary: dict, imports: dict, layer: dict | None = None) -> list[tuple[str, ...]]:
    """(target, paired median, best rounds, verdict, gap) rows for issue 6's targets.

    Other work on the machine only ever slows a client down, and it slows
    a client that sleeps on every round trip (Python's blocking socket)
    more than one whose runtime spins before parking (Go's); the best
    rounds show what the code does when the machine is quiet, so both
    are given, and the verdict says which one meets the target.
    """
    rows = []

    def check(name: str, median: float | None, best: float | None, goal: float, kind: str,
              fmt: str = "%.2fx") -> None:
        if median is None:
            rows.append((name, "-", "-", "not measured", ""))
            return

        def meets(value: float | None) -> bool:
            return value is not None and (value >= goal if kind == ">=" else value <= goal)

        def shortfall(label: str, value: float) -> str:
            if kind == ">=":
                return "%s short by %.0f%%" % (label, (1 - value / goal) * 100)
            return "%s over by %.0f%%" % (label, (value / goal - 1) * 100)

        median_ok, best_ok = meets(median), best is None or meets(best)
        if median_ok and best_ok:
            verdict, gap = "met", ""
        elif best_ok and best is not None:
            verdict, gap = "met in the best rounds only", shortfall("median", median)
        elif median_ok:
            verdict, gap = "met on the median only", shortfall("best", best)
        else:
            verdict = "MISSED"
            gap = shortfall("median", median) + ("" if best is None else ", " + shortfall("best", best))
        rows.append((name, fmt % median, "-" if best is None else fmt % best, verdict, gap))

    def both(case: str, client: str, against: str) -> tuple[float | None, float | None]:
        return ratio(summary, case, client, against), best_ratio(summary, case, client, against)

    check("Hy namespace, one connection >= 1.0x Go", *both("one-conn", "hy-ns", "go"), 1.0, ">=")
    check("Hy namespace, one connection >= 1.4x smtplib", *both("one-conn", "hy-ns", "smtplib"), 1.4, ">=")
    check("core pipelined send >= 2.0x Go", *both("one-conn", "core-send", "go"), 2.0, ">=")
    check("SendMail, new connection per message >= 0.9x Go", *both("per-conn", "hy-ns", "go"), 0.9, ">=")
    check("32 MiB streamed (Hy) >= 0.9x Go MiB/s", *both("stream", "hy-ns", "go"), 0.9, ">=")
    hy_stream = summary.get(("stream", "hy-ns"))
    check("32 MiB streamed (Hy): peak RSS < 40 MiB (largest round)", hy_stream and hy_stream["rss_max"], None,
          40.0, "<=", "%.1f MiB")
    hy, core = summary.get(("one-conn", "hy-ns")), summary.get(("one-conn", "core"))
    extra = best_extra = None
    if hy and core:
        extra = (paired(hy["times"], core["times"]) - 1) * 100
        best_extra = (min(hy["times"]) / min(core["times"]) - 1) * 100
    check("Hy layer over core: extra time per message <= 10%", extra, best_extra, 10.0, "<=", "%+.1f%%")
    check("Hy layer over core, Python work alone (no network) <= 10%",
          None if layer is None else layer["extra"] * 100, None, 10.0, "<=", "%+.1f%%")
    warm = imports.get("warm")
    check("warm import of go_std.net.smtp <= 0.25 s", warm and warm[0], warm and warm[1], 0.25, "<=", "%.3f s")
    return rows


