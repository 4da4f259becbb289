"""The Hy layer's own cost: the one-connection loop with the network taken out.

On loopback the round trips dominate and the machine's noise with them, so
the layer's cost is measured here as well with the socket replaced by a
stand-in that answers at once: what remains is the Python work per
message of the very loops the loopback cases run (``send_n`` of
:mod:`bench.clients.core_clients` and of ``hy_ns.hy``), on
smtp_core.Client and on the namespace's client.  Not a test of wire behaviour:
the wire is what the other cases measure.

``python -m bench.clients.layer_cost 5000 15`` runs both loops in turns
(5000 messages a turn, 15 turns each) and prints one JSON line with the
best time of each, in seconds per message.
"""

from __future__ import annotations

import json
import sys
import time

from smtp_core.client import Client

from bench.messages import make_message

_REPLIES = {
    b"MAIL": b"250 2.1.0 Ok\r\n",
    b"RCPT": b"250 2.1.5 Ok\r\n",
    b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n",
    b"EHLO": b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n",
    b"QUIT": b"221 Bye\r\n",
}


class AnsweringSocket:
    """Stands in for a connected socket: each write queues the reply a sink would send."""

    def __init__(self) -> None:
        self.replies = [b"220 sink ESMTP\r\n"]

    def sendall(self, data: bytes) -> None:
        self.replies.append(_REPLIES.get(bytes(data[:4]), b"250 2.0.0 Ok: queued\r\n"))

    def send(self, data) -> int:
        return len(data)

    def recv(self, size: int) -> bytes:
        return self.replies.pop(0)

    def settimeout(self, seconds) -> None:
        pass

    def close(self) -> None:
        pass


def measure(n: int, rounds: int = 15) -> dict:
    """Best per-message time of each loop, the two interleaved in one process."""
    import hy  # noqa: F401  (hy_ns is Hy)
    from go_std.net.smtp import GoClient

    from bench.clients import core_clients, hy_ns

    msg = make_message(1024)
    loops = {
        "core": (Client(AnsweringSocket(), "127.0.0.1"), core_clients.send_n),
        "hy-ns": (GoClient(AnsweringSocket(), "127.0.0.1"), hy_ns.send_n),
    }
    best = dict.fromkeys(loops, float("inf"))
    for client, loop in loops.values():
        loop(client, min(n, 1000), msg)  # greeting, EHLO, warm caches
    for _ in range(rounds):
        for name, (client, loop) in loops.items():
            start = time.perf_counter()
            loop(client, n, msg)
            best[name] = min(best[name], (time.perf_counter() - start) / n)
    return best


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    print(json.dumps(measure(n, rounds)), flush=True)
