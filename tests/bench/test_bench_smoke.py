"""The benchmark still runs: a smoke run of ``python -m bench`` and its sink.

Timings are never asserted (the machine decides them); only that every
client delivers, that the table and the targets are printed, and that the
streamed message reaches the sink with the bytes our encoder makes.
"""

from __future__ import annotations

import hashlib
import socket
import sys

from bench_run import ROOT, smoke_run

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.messages import make_big_message, make_message  # noqa: E402
from bench.sink import start_sink_process  # noqa: E402


def read_replies(sock: socket.socket, count: int) -> list[bytes]:
    """Read until ``count`` final reply lines arrived (bounded by the socket timeout)."""
    data = b""
    for _ in range(100):
        lines = data.split(b"\r\n")[:-1]
        if sum(1 for line in lines if line[3:4] == b" ") >= count:
            return lines
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    raise AssertionError("replies missing: %r" % data)


def test_smoke_run_prints_the_table_and_checks_the_wire():
    out = smoke_run("bench", "--smoke", timeout=180)
    for row in ("| one-conn | hy-ns |", "| one-conn | core |", "| one-conn | smtplib |",
                "| per-conn | hy-ns |", "| stream | hy-ns |", "| stream | core |"):
        assert row in out, row
    assert "## Targets (issue 6)" in out
    assert "- hy-ns: `" in out and "DIFFERENT" not in out
    assert "warm (bytecode cached)" in out and "cold (fresh copy" in out


def test_sink_answers_pipelined_commands_in_order_and_hashes_the_payload(tmp_path):
    log = tmp_path / "hashes"
    payload = b"Subject: x\r\n\r\n..a dot line\r\nend\r\n.\r\n"
    with start_sink_process(hash_log=str(log), max_seconds=60) as sink:
        with socket.create_connection(("127.0.0.1", sink.port), timeout=10) as sock:
            assert read_replies(sock, 1)[0].startswith(b"220 ")
            sock.sendall(b"EHLO localhost\r\n")
            ehlo = read_replies(sock, 1)
            assert {b"250-PIPELINING", b"250-8BITMIME"} <= set(ehlo)
            assert any(line.startswith(b"250-SIZE") for line in ehlo)
            sock.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
            codes = [line[:3] for line in read_replies(sock, 3)]
            assert codes == [b"250", b"250", b"354"]
            # The payload in two writes, the end mark cut between them.
            sock.sendall(payload[:-4])
            sock.sendall(payload[-4:] + b"QUIT\r\n")
            codes = [line[:3] for line in read_replies(sock, 2)]
            assert codes == [b"250", b"221"]
        report = sink.stop()
    assert report.endswith("messages 1")
    digest, size = log.read_text().split()
    assert digest == hashlib.sha256(payload).hexdigest() and int(size) == len(payload)


def test_bench_inputs_are_deterministic(tmp_path):
    assert len(make_message(1024)) == 1024 and make_message(1024).endswith(b"\r\n")
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    size = make_big_message(first, 200_000)
    assert size == make_big_message(second, 200_000) <= 200_000
    data = first.read_bytes()
    assert data == second.read_bytes() and data.endswith(b"\n")
    assert data.count(b"\r\n.") > 100  # many lines start with a dot


def test_a_run_is_added_to_the_results_history_above_the_runs_before_it(tmp_path):
    import doctest

    import bench.history

    assert doctest.testmod(bench.history).failed == 0
    path = tmp_path / "results.md"
    path.write_text("# Catcher\n\nHow to read these.\n\n## Run of yesterday\n\nold figures\n")
    bench.history.record_run(path, "# Catcher\n\nnew figures\n\n## Intake\n\n| 1 |\n", "python -m bench.catcher", "T")
    text = path.read_text()
    assert text.index("How to read") < text.index("new figures") < text.index("### Intake") < text.index("old figures")
