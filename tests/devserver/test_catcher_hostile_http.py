"""The catcher's HTTP side against hostile clients, over real sockets.

Each test is one attack of issue 21 (the finding's number in its name's
comment): a Host that is not ours (DNS rebinding, 3), a foreign Origin on
the event socket (2) or on a GET that would mark mail read (14), part types
built to slip past the download filter (12, 13), half-sent requests and
connection floods (7), event clients that never read (6), and password
guessing (17).  Browsers' side of 2, 3, 13 and 14 is in
``test_catcher_page_origins.py``.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import socket

import aiohttp
import pytest

from smtp_core.devserver.web import api, events, httpguard
from smtp_core.devserver.web import service as catcher_module

from catcher_http import call, get_json, mixed, plain, smtp

T = 10.0


def run(coroutine):
    """``asyncio.run`` on a thread of its own: Playwright's sync API (the
    browser tests) leaves a loop running on the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def raw_request(server, request: bytes, *, timeout: float = T) -> bytes:
    """Send ``request`` as is on a fresh connection; everything the catcher
    answers until it closes."""
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=timeout) as conn:
        conn.sendall(request)
        chunks = []
        for _ in range(10_000):  # bounded: the answers here are small
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def get(server, path: str, **headers: str) -> bytes:
    lines = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    return raw_request(server, f"GET {path} HTTP/1.1\r\n{lines}Connection: close\r\n\r\n".encode())


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


# --------------------------------------------------------------------------
# 3: DNS rebinding — the Host header must name this catcher
# --------------------------------------------------------------------------


def test_a_host_that_is_not_ours_is_refused_on_every_route(catcher):
    smtp(catcher, plain("secret code 492817"))
    catcher.wait_for(1)
    port = catcher.http_port
    for path in ("/", "/api/v1/messages", "/api/v1/message/latest", "/api/events", "/static/page.js"):
        answer = get(catcher, path, Host=f"rebound.example:{port}")
        assert status_of(answer) == 403, (path, answer[:200])
        assert b"rebound.example" in answer and b"--http-allowed-host" in answer
        assert b"492817" not in answer
    # A rebinding page cannot delete either.
    deleted = raw_request(catcher, f"DELETE /api/v1/messages HTTP/1.1\r\nHost: rebound.example:{port}\r\n"
                                   "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
    assert status_of(deleted) == 403
    assert get_json(catcher, "/api/v1/messages")["total"] == 1
    # Our own names on loopback, with our port, still answer.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST.:{port}", "localhost", f"[::1]:{port}"):
        assert status_of(get(catcher, "/api/v1/info", Host=host)) == 200, host
    for host in (f"localhost:{port + 1}", "127.0.0.1.rebound.example", "", "a@localhost"):
        assert status_of(get(catcher, "/api/v1/info", Host=host)) in (400, 403), host


def test_allowed_hosts_add_names_with_or_without_a_port(make_catcher):
    server = make_catcher(http_allowed_hosts=["mail.test", "proxy.test:8443"])
    assert status_of(get(server, "/api/v1/info", Host="mail.test")) == 200
    assert status_of(get(server, "/api/v1/info", Host="Mail.Test:443")) == 200
    assert status_of(get(server, "/api/v1/info", Host="proxy.test:8443")) == 200
    assert status_of(get(server, "/api/v1/info", Host="proxy.test:9999")) == 403
    assert status_of(get(server, "/api/v1/info", Host="other.test")) == 403


def test_host_policy_off_loopback():
    wildcard = httpguard.HostPolicy("0.0.0.0", 8025)
    assert wildcard.allows("192.0.2.7:8025") and wildcard.allows("localhost:8025")
    assert not wildcard.allows("rebound.example:8025")
    lan = httpguard.HostPolicy("192.0.2.7", 8025)
    assert lan.allows("192.0.2.7:8025") and not lan.allows("localhost:8025")
    with pytest.raises(ValueError, match="--http-allowed-host 'a b:x'"):
        httpguard.HostPolicy("127.0.0.1", 1, ["a b:x"])


def test_cli_takes_allowed_hosts_and_refuses_a_bad_one(tmp_path):
    from cli_process import refusal

    assert "--http-allowed-host 'x:notaport'" in refusal("--maildir", str(tmp_path), "--http-allowed-host", "x:notaport")


# --------------------------------------------------------------------------
# 2: cross-site WebSocket hijacking — /api/events refuses a foreign Origin
# --------------------------------------------------------------------------


def connect_events(server, headers: dict) -> int | str:
    """The handshake's status (403...) or ``"open"``."""
    async def attempt():
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(server.url + "api/events", headers=headers):
                    return "open"
            except aiohttp.WSServerHandshakeError as error:
                return error.status
    return run(attempt())


@pytest.mark.parametrize("origin", ["http://127.0.0.1:1", "http://localhost:{port}", "null",
                                    "http://rebound.example:{port}", "file://"])
def test_events_refuse_a_foreign_origin(catcher, origin):
    assert connect_events(catcher, {"Origin": origin.format(port=catcher.http_port)}) == 403


def test_events_accept_their_own_origin_and_clients_without_one(catcher):
    assert connect_events(catcher, {}) == "open"  # node's mailpit-api, aiohttp, curl
    assert connect_events(catcher, {"Origin": f"http://127.0.0.1:{catcher.http_port}"}) == "open"
    assert connect_events(catcher, {"Sec-Fetch-Site": "cross-site"}) == 403


# --------------------------------------------------------------------------
# 14: a cross-origin GET must not mark a message read
# --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "http://127.0.0.1:1"}, {"Origin": "null"}])
def test_a_cross_origin_get_leaves_the_message_unread(catcher, headers):
    smtp(catcher, plain("unread"))
    [received] = catcher.wait_for(1)
    status, _, body = call(catcher, "GET", f"/api/v1/message/{received.id}", headers=headers)
    assert status == 200 and json.loads(body)["Subject"] == "unread"
    assert get_json(catcher, "/api/v1/messages")["messages"][0]["Read"] is False
    # The page's own request (and any non-browser client) still marks it read, as Mailpit does.
    call(catcher, "GET", f"/api/v1/message/{received.id}", headers={"Sec-Fetch-Site": "same-origin"})
    assert get_json(catcher, "/api/v1/messages")["messages"][0]["Read"] is True


def test_no_answer_can_be_loaded_by_another_origin(catcher):
    smtp(catcher, plain("x"))
    [received] = catcher.wait_for(1)
    for path in ("/api/v1/messages", f"/api/v1/message/{received.id}", "/api/v1/info", "/api/v1/nothing",
                 f"/api/v1/message/{received.id}/raw", "/", "/static/page.js"):
        _, headers, _ = call(catcher, "GET", path)
        assert headers["Cross-Origin-Resource-Policy"] == "same-origin", path
        assert headers["X-Content-Type-Options"] == "nosniff", path


# --------------------------------------------------------------------------
# 12, 13: part types are parsed; only plain images render inline
# --------------------------------------------------------------------------


HOSTILE_TYPES = [
    ("x,text/html", "a.html", b"<b>x</b>"),
    ("text/html;x=1", "b.html", b"<b>x</b>"),
    ("text/javascript", "c.js", b"window.ran = 1;"),
    ("application/javascript; charset=utf-8", "d.js", b"window.ran = 1;"),
    ("text/css", "e.css", b"body { color: red }"),
    ("image/svg+xml", "f.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("application/json", "g.json", b"{}"),
    ("application/x-\x7fodd", "i.bin", b"odd"),
]
# A folded type is unfolded and parsed: harmless, but it must not reach aiohttp's header check raw.
FOLDED = ("text/plain;\r\n\tname=\"x\r\n\ty\"", "h.txt", b"folded")


def test_parts_a_page_could_run_are_opaque_downloads(catcher):
    smtp(catcher, ("a@example.com", ["b@example.com"], mixed(*HOSTILE_TYPES, FOLDED, ("image/png", "ok.png", b"png"),
                                                            ("application/pdf", "ok.pdf", b"pdf"))))
    [received] = catcher.wait_for(1)
    attachments = get_json(catcher, f"/api/v1/message/{received.id}")["Attachments"]
    assert [a["FileName"] for a in attachments] == [name for _, name, _ in HOSTILE_TYPES] + ["h.txt", "ok.png", "ok.pdf"]
    served = {}
    for attachment in attachments:
        # Every part answers (a folded type used to make aiohttp drop the connection).
        status, headers, body = call(catcher, "GET", f"/api/v1/message/{received.id}/part/{attachment['PartID']}")
        assert status == 200, attachment
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        served[attachment["FileName"]] = (headers["Content-Type"], headers["Content-Disposition"].split(";")[0])
    for _, name, _ in HOSTILE_TYPES:
        assert served[name] == ("application/octet-stream", "attachment"), name
    assert served["h.txt"] == ("text/plain", "attachment")
    assert served["ok.png"] == ("image/png", "inline")
    # Only an inline image may be loaded across origins: the HTML view is sandboxed (an opaque origin).
    assert [a["FileName"] for a in attachments if call(
        catcher, "GET", f"/api/v1/message/{received.id}/part/{a['PartID']}")[1]["Cross-Origin-Resource-Policy"]
        == "cross-origin"] == ["ok.png"]
    assert served["ok.pdf"] == ("application/pdf", "attachment")


def test_served_type_keeps_harmless_types_and_only_images_inline():
    assert api.served_type("Application/ZIP; name=x") == ("application/zip", "attachment")
    assert api.served_type("image/jpeg") == ("image/jpeg", "inline")
    assert api.served_type("text/plain") == ("text/plain", "attachment")
    assert api.served_type("application/xhtml+xml")[0] == "application/octet-stream"


# --------------------------------------------------------------------------
# 7: slowloris — idle and half-sent requests are closed, connections bounded
# --------------------------------------------------------------------------


def closed_by_server(conn: socket.socket) -> bytes:
    """Read until the server closes ``conn`` (a socket timeout fails the test)."""
    chunks = []
    for _ in range(100_000):  # bounded; small reads of at most a few MB
        try:
            chunk = conn.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    else:
        raise AssertionError(f"still open after {sum(map(len, chunks))} bytes")
    return b"".join(chunks)


@pytest.mark.parametrize("sent", [b"", b"GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_an_idle_or_half_sent_request_is_closed(make_catcher, sent):
    server = make_catcher(http_limits=httpguard.HttpLimits(idle_timeout=0.5))
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=T) as conn:
        conn.sendall(sent)
        assert closed_by_server(conn) == b""  # closed, nothing answered; socket.timeout would fail


@pytest.mark.parametrize("head", [
    b"PUT /api/v1/messages HTTP/1.1\r\nContent-Length: 100\r\n",
    b"PUT /api/v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
    b"POST /api/v1/send HTTP/1.1\r\nContent-Length: 4000000\r\n",  # the send API streams up to 48 MiB
])
def test_a_trickled_body_is_closed(make_catcher, head):
    server = make_catcher(http_limits=httpguard.HttpLimits(body_timeout=0.5))
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=T) as conn:
        conn.sendall(head + b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n"
                     + (b"6\r\n{\"IDs\"\r\n" if b"chunked" in head else b"{\"IDs\""))
        assert closed_by_server(conn) == b""  # aborted, nothing answered; a socket timeout fails the test


def test_connections_past_the_limit_get_503_and_the_catcher_recovers(make_catcher):
    server = make_catcher(http_limits=httpguard.HttpLimits(max_connections=3))
    held = [socket.create_connection(("127.0.0.1", server.http_port), timeout=T) for _ in range(3)]
    try:
        for conn in held:  # each is accepted (an answer proves it) and kept alive
            conn.sendall(b"GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        refused = get(server, "/api/v1/info", Host="127.0.0.1")
        assert refused.startswith(b"HTTP/1.1 503") and b"too many connections" in refused
    finally:
        for conn in held:
            conn.close()
    for _ in range(100):  # the held connections' close reaches the server in its own time
        if status_of(get(server, "/api/v1/info", Host="127.0.0.1")) == 200:
            break
    else:
        raise AssertionError("the catcher did not recover after the connections closed")


# --------------------------------------------------------------------------
# 6: event clients that never read are dropped; events carry short subjects
# --------------------------------------------------------------------------


def silent_event_client(server) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn.settimeout(T)
    conn.connect(("127.0.0.1", server.http_port))
    key = base64.b64encode(b"0123456789abcdef").decode()
    conn.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    for _ in range(100):
        head += conn.recv(1)
        if head.endswith(b"\r\n\r\n"):
            break
    assert head.startswith(b"HTTP/1.1 101"), head
    return conn


def wide_message(n: int) -> tuple:
    """A message whose summary (and so its ``new`` event) is large: a long
    Subject and 3,000 To addresses."""
    to = ",\r\n ".join(f"Person {i} <person{i}@example.com>" for i in range(3000))
    long_subject = ("\r\n " + "s" * 900) * 250  # folded: 225,000 characters
    return ("a@example.com", ["b@example.com"],
            f"From: a@example.com\r\nTo: {to}\r\nSubject: {n}{long_subject}\r\n\r\nbody\r\n".encode())


def test_a_client_that_never_reads_is_dropped_and_others_get_short_subjects(make_catcher):
    server = make_catcher(http_limits=httpguard.HttpLimits(event_queue_frames=4, event_write_timeout=2))
    silent = [silent_event_client(server) for _ in range(3)]

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.url + "api/events") as live:
                subjects = []
                for n in range(30):  # bounded: each event is ~170 KB, past what the kernel buffers hold
                    await asyncio.to_thread(smtp, server, wide_message(n))
                    for _ in range(10):
                        event = json.loads((await live.receive(timeout=T)).data)
                        if event["Type"] == "new":
                            subjects.append(event["Data"]["Subject"])
                            break
                return subjects

    try:
        subjects = run(scenario())
        assert len(subjects) == 30
        assert all(len(s) == events.EVENT_SUBJECT_LIMIT + 3 and s.endswith("...") for s in subjects)
        for conn in silent:
            closed_by_server(conn)  # ends: the server dropped it (unbounded, it would time out)
    finally:
        for conn in silent:
            conn.close()
    # The list still has the whole subject.
    assert len(get_json(server, "/api/v1/messages?limit=1")["messages"][0]["Subject"]) > 200_000


# --------------------------------------------------------------------------
# 17: the password off the command line; guessing is slowed
# --------------------------------------------------------------------------


def test_credentials_come_from_a_file_or_the_environment(tmp_path):
    secret = tmp_path / "auth"
    secret.write_text("ann:s3cret:x\n")
    read = catcher_module.read_credentials
    secret.chmod(0o640)
    with pytest.raises(ValueError, match="group or others may read it; chmod 600"):
        read(None, str(secret), {})
    secret.chmod(0o600)
    assert read(None, str(secret), {}) == ("ann", "s3cret:x")
    assert read(None, None, {catcher_module.HTTP_AUTH_ENV: "bob:pw"}) == ("bob", "pw")
    assert read("cy:pw", None, {catcher_module.HTTP_AUTH_ENV: "bob:pw"}) == ("cy", "pw")
    assert read(None, None, {}) is None
    secret.write_text("no-colon-password\n")
    with pytest.raises(ValueError) as error:
        read(None, str(secret), {})
    assert str(secret) in str(error.value) and "no-colon-password" not in str(error.value)
    with pytest.raises(ValueError, match="cannot read it"):
        read(None, str(tmp_path / "missing"), {})
    with pytest.raises(ValueError, match="not both"):
        read("a:b", str(secret), {})


def test_cli_takes_the_password_from_the_environment_not_argv(tmp_path):
    import urllib.error
    import urllib.request

    from cli_process import DevServerProcess

    with DevServerProcess("--port", "0", "--http-port", "0", "--maildir", str(tmp_path / "mail"),
                          "--cert-dir", str(tmp_path / "certs"), "--quiet",
                          environ={catcher_module.HTTP_AUTH_ENV: "ann:env-s3cret"}) as server:
        url = server.web_url()
        assert "env-s3cret" not in " ".join(server.process.args)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "api/v1/info", timeout=T)
        assert refused.value.code == 401
        refused.value.close()
        good = urllib.request.Request(url + "api/v1/info", headers={
            "Authorization": "Basic " + base64.b64encode(b"ann:env-s3cret").decode()})
        with urllib.request.urlopen(good, timeout=T) as response:
            assert response.status == 200
    assert server.returncode == 0, server.stderr


def test_repeated_failed_logins_get_429_with_retry_after(make_catcher):
    server = make_catcher(http_auth="ann:s3cret")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"ann:guess").decode()}
    right = {"Authorization": "Basic " + base64.b64encode(b"ann:s3cret").decode()}
    assert call(server, "GET", "/api/v1/info", headers=right)[0] == 200
    statuses = [call(server, "GET", "/api/v1/info", headers=wrong)[0] for _ in range(30)]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert statuses.count(401) <= 12  # the burst, plus what refilled meanwhile
    status, headers, body = call(server, "GET", "/api/v1/info", headers=right)
    assert status == 429 and int(headers["Retry-After"]) >= 1 and b"too many failed logins" in body
    # A browser's first request without credentials spends nothing.
    fresh = make_catcher(http_auth="ann:s3cret")
    assert [call(fresh, "GET", "/")[0] for _ in range(20)] == [401] * 20
    assert call(fresh, "GET", "/api/v1/info", headers=right)[0] == 200


@pytest.mark.parametrize("field, value", [("max_connections", 0), ("idle_timeout", 0.0), ("body_timeout", -1.0),
                                          ("event_queue_frames", 0), ("event_write_timeout", float("nan"))])
def test_http_limits_refuse_what_would_disable_a_guard(field, value):
    # 0 connections would refuse every client; a timeout of 0, below 0 or NaN
    # would drop each at once or never: a typo must not switch a guard off.
    with pytest.raises(ValueError, match=f"{field} must be"):
        httpguard.HttpLimits(**{field: value})
