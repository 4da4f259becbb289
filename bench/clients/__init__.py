"""The measured clients, each run alone in a child process.

``python -m bench.clients '<json spec>'`` imports one client, runs one
case and prints one JSON line: ``messages``, ``bytes`` (message bytes
handed to the client), ``seconds`` (wall time of the sending loop, dialing
included, interpreter start-up and imports excluded), ``cpu`` (user +
system CPU of the loop) and ``peak_rss_kib`` (the process's own peak
resident set).  The parent adds whole-process CPU from ``os.wait4``.

The spec is a JSON object::

    {"client": "core", "case": "one-conn", "addr": "127.0.0.1:2525",
     "n": 2000, "msg": "msg-1k.eml", "profile": null}

``msg`` is the message file (the big file for the ``stream`` case);
``profile``, when set, is where to write cProfile stats of the loop.

Cases: ``one-conn`` (one connection, ``n`` messages), ``per-conn`` (a new
connection per message) and ``stream`` (one message streamed from the
file in 64 KiB chunks, or read whole by clients that cannot stream).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time

__all__ = ["CLIENTS", "SENDER", "RECIPIENT", "STREAM_CHUNK", "describe", "host_port", "main"]

SENDER = "bench@example.com"
RECIPIENT = "sink@example.com"
STREAM_CHUNK = 65536

#: client name -> (module, {case: function name}, what it is)
CLIENTS: dict[str, tuple[str, dict[str, str], str]] = {
    "hy-ns": ("bench.clients.hy_ns",
              {"one-conn": "one_conn", "per-conn": "per_conn", "stream": "stream"},
              "go-std.net.smtp from Hy: Dial, Mail, Rcpt, Data, Write, Close; per-conn: SendMail"),
    "core": ("bench.clients.core_clients",
             {"one-conn": "one_conn", "per-conn": "per_conn", "stream": "stream"},
             "smtp_core.Client from Python (the same Go-semantics loop); per-conn: smtp_core.send_mail"),
    "core-send": ("bench.clients.pythonic_clients",
                  {"one-conn": "one_conn"},
                  "smtp_core.send_many, one connection: pipelined across messages, one round trip each"),
    "core-send-1": ("bench.clients.pythonic_clients",
                    {"one-conn": "one_conn_send"},
                    "smtp_core.send, one call per message on one connection: pipelined, two round trips each"),
    "smtplib": ("bench.clients.smtplib_clients",
                {"one-conn": "one_conn", "per-conn": "per_conn", "stream": "stream"},
                "smtplib.SMTP.sendmail (stream: reads the whole file, it cannot stream)"),
    "aiosmtplib": ("bench.clients.aiosmtplib_clients",
                   {"one-conn": "one_conn"},
                   "aiosmtplib.SMTP.sendmail, one connection"),
    "aio-lockstep": ("bench.clients.aio_clients", {"one-conn": "lockstep"},
                     "smtp_core.aio.Client: MAIL, RCPT, DATA awaited one by one (aiosmtplib's conversation)"),
    "aio-send-1": ("bench.clients.aio_clients", {"one-conn": "send_1"},
                   "smtp_core.aio.send awaited once per message on one connection: two round trips each"),
    "aio-send": ("bench.clients.aio_clients", {"one-conn": "send_many"},
                 "smtp_core.aio.send_many, one connection: pipelined across messages"),
    "aio-pool": ("bench.clients.aio_clients", {"one-conn": "pool"},
                 "smtp_core.aio.Pool(size=4): n concurrent send tasks"),
    "socket-floor": ("bench.clients.floor_client",
                     {"one-conn": "one_conn"},
                     "not a client: a bare socket loop, 4 round trips per message, no parsing (Python's floor)"),
    "pipelined-floor": ("bench.clients.floor_client",
                        {"one-conn": "pipelined_one_conn"},
                        "not a client: the same with MAIL+RCPT+DATA in one write, 2 round trips per message"),
    "floor-many": ("bench.clients.floor_client", {"one-conn": "pipelined_many"},
                   "not a client: a bare blocking socket in send_many's shape, 1 round trip per message"),
    "aio-floor-many": ("bench.clients.floor_client", {"one-conn": "asyncio_pipelined_many"},
                       "not a client: a bare asyncio buffered Protocol in send_many's shape, a Future per reply"),
    "aio-callback-floor": ("bench.clients.floor_client", {"one-conn": "asyncio_callback_many"},
                           "not a client: the same Protocol writing each batch from its callback, no Future, no task"),
}


def host_port(addr: str) -> tuple[str, int]:
    """``"127.0.0.1:2525"`` as ``("127.0.0.1", 2525)``."""
    host, _, port = addr.rpartition(":")
    return host, int(port)


def describe(client: str) -> str:
    """One line saying what a client name measures."""
    return CLIENTS[client][2]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def use_event_loop(kind: str | None) -> None:
    """``BENCH_LOOP=uvloop``: asyncio clients run on uvloop (``bench.aio --loop``)."""
    if kind == "uvloop":
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run(spec: dict) -> dict:
    """Run one case of one client and return its figures."""
    use_event_loop(os.environ.get("BENCH_LOOP"))
    module_name, cases, _ = CLIENTS[spec["client"]]
    if module_name.endswith("hy_ns"):
        import hy  # noqa: F401  (the client is written in Hy)
    function = getattr(importlib.import_module(module_name), cases[spec["case"]])
    if spec["case"] == "stream":
        args = (spec["addr"], spec["msg"])
    else:
        with open(spec["msg"], "rb") as f:
            args = (spec["addr"], spec["n"], f.read())
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
    cpu0, t0 = _cpu(), time.perf_counter()
    if profiler is not None:
        messages, size = profiler.runcall(function, *args)
    else:
        messages, size = function(*args)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    if profiler is not None:
        profiler.dump_stats(spec["profile"])
    return {"messages": messages, "bytes": size, "seconds": seconds, "cpu": cpu, "peak_rss_kib": peak_rss_kib()}


def peak_rss_kib() -> int:
    """This process's own peak resident set (VmHWM), in KiB.

    Not ``ru_maxrss``: on Linux that starts from the parent's peak when
    the child was forked (the parent's memory image is what ``exec``
    replaced), so every child would look at least as big as the bench.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(json.dumps(run(json.loads(argv[0]))), flush=True)
    return 0
