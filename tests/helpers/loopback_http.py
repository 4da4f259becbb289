"""A tiny HTTP site on a loopback port, on a thread, for tests that need a
second origin or a place remote content would be loaded from.

``LoopbackSite(respond)`` serves every GET with ``respond(path)``, which
returns ``(content_type, body)``; the paths asked for are kept in ``hits``.
"""

from __future__ import annotations

import http.server
import threading
from typing import Callable


class LoopbackSite:
    def __init__(self, respond: Callable[[str], tuple[str, bytes]]) -> None:
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                hits.append(self.path)
                content_type, body = respond(self.path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # keep test output clean

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
