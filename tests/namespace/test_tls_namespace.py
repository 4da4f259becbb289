"""go.std.crypto.tls: Dial, Client, Config, key pairs, the Conn, with Go's texts.

Expected texts are Go 1.27.3's for the same situations (checked with a Go
program against loopback TLS servers): `tls: failed to verify certificate:
x509: certificate is valid for ..., not ...`, bare `use of closed network
connection` for Write and a second Close, `read tcp A->B: use of closed
network connection` for Read, `EOF` from a server that hangs up in the
handshake, and tls.Dial's ServerName taken from the address.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
from pathlib import Path

import pytest

import go_std.crypto.tls as tls
import go_std.net as net
import go_std.net.smtp as smtp
from go_std.joker import ArgumentError
from smtp_core.errors import ServerClosed

from scripted import Silent


@pytest.fixture
def tls_server(pki):
    """``start(cert=pki.cert, **server options)``: an implicit-TLS echo-once server; yields its address."""
    servers = []

    def start(cert=None, max_version=None, hang_up=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*(cert or pki.cert))
        if max_version:
            ctx.maximum_version = max_version
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(10)

        def serve():
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            with raw:
                raw.settimeout(10)
                if hang_up:
                    raw.recv(65536)  # the whole ClientHello, so the close is a FIN, not a reset
                    return
                try:
                    with ctx.wrap_socket(raw, server_side=True) as conn:
                        data = conn.recv(100)
                        if data:
                            conn.sendall(b"echo:" + data)
                except OSError:
                    pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        servers.append((listener, thread))
        return "127.0.0.1:%d" % listener.getsockname()[1]

    yield start
    for listener, thread in servers:
        listener.close()
        thread.join(10)


def config(pki, **fields):
    return tls.Config({"RootCAs": pki.ca_path, **fields})


def test_dial_handshakes_and_reads_decrypted_bytes(tls_server, pki):
    addr = tls_server()
    conn, err = tls.Dial("tcp", addr, config(pki, ServerName="localhost"))
    assert err is None and isinstance(conn, tls.PtrConn) and isinstance(conn, net.Conn)
    state = conn.ConnectionState()
    assert state.HandshakeComplete and state.Version == tls.VersionTLS13 and state.ServerName == "localhost"
    assert state.PeerCertificates and isinstance(state, tls.ConnectionState)
    assert conn.Write(b"hi") == [2, None]
    buf = bytearray(64)
    n, err = conn.Read(buf)
    assert err is None and bytes(buf[:n]) == b"echo:hi"
    n, err = conn.Read(buf)
    assert n == 0 and isinstance(err, ServerClosed) and str(err) == "EOF"
    assert conn.Close() is None


def test_dial_takes_server_name_from_the_address(tls_server, pki):
    conn, err = tls.Dial("tcp", tls_server(), config(pki))
    assert err is None
    # 127.0.0.1 is verified against the certificate's IP SAN and not sent in SNI, as in Go.
    assert conn.ConnectionState().ServerName == ""
    conn.Close()


@pytest.mark.parametrize("case, text", [
    ("bad-name", "tls: failed to verify certificate: x509: certificate is valid for localhost, testserver, not b.example"),
    ("bad-ip", "tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, ::1, not 127.0.0.2"),
    ("unknown-authority", "tls: failed to verify certificate: x509: certificate signed by unknown authority"),
    ("expired", "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: the certificate has expired"),
    ("tls10", "remote error: tls: protocol version not supported"),
    ("no-versions", "tls: no supported versions satisfy MinVersion and MaxVersion"),
    ("hang-up", "EOF"),
])
def test_dial_failures_read_as_go(tls_server, pki, case, text):
    fields = {"ServerName": "localhost", "RootCAs": pki.ca_path}
    options = {}
    if case == "bad-name":
        fields["ServerName"] = "b.example"
    elif case == "bad-ip":
        fields["ServerName"] = "127.0.0.2"
    elif case == "unknown-authority":
        options["cert"] = pki.other_ca().cert
    elif case == "expired":
        options["cert"] = pki.issue("localhost", expired=True)
    elif case == "tls10":
        fields.update(MinVersion=tls.VersionTLS10, MaxVersion=tls.VersionTLS10)
    elif case == "no-versions":
        fields["MinVersion"] = 0x0305
    elif case == "hang-up":
        options["hang_up"] = True
    conn, err = tls.Dial("tcp", tls_server(**options), tls.Config(fields))
    assert conn is None and isinstance(err, OSError)
    assert str(err) == text


def test_insecure_skip_verify_accepts_an_unknown_authority(tls_server, pki):
    conn, err = tls.Dial("tcp", tls_server(cert=pki.other_ca().cert), tls.Config(InsecureSkipVerify=True))
    assert err is None and conn.ConnectionState().HandshakeComplete
    conn.Close()


def test_closed_tls_conn_answers_as_go(tls_server, pki):
    conn, err = tls.Dial("tcp", tls_server(), config(pki))
    local, remote = conn.LocalAddr().String(), conn.RemoteAddr().String()
    assert conn.Close() is None
    assert str(conn.Close()) == "use of closed network connection"
    n, err = conn.Write(b"x")
    assert n == 0 and str(err) == "use of closed network connection"
    n, err = conn.Read(bytearray(4))
    assert n == 0 and str(err) == "read tcp %s->%s: use of closed network connection" % (local, remote)
    assert str(conn.SetDeadline(0)) == "set tcp %s: use of closed network connection" % local


def test_client_handshakes_on_first_use_and_keeps_its_error(free_port):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        raw, err = net.Dial("tcp", "127.0.0.1:%d" % listener.getsockname()[1])
        server, _ = listener.accept()
        conn = tls.Client(raw, tls.Config(ServerName="x"))
        assert raw.closed  # taken over
        server.close()  # hangs up before any handshake
        assert str(conn.Handshake()) == "EOF"
        assert conn.Handshake() is conn.Handshake()  # kept
        n, err = conn.Read(bytearray(4))
        assert n == 0 and str(err) == "EOF"
        conn.Close()


def test_client_without_server_name_cannot_handshake():
    a, b = socket.socketpair()
    with b:
        conn = tls.Client(net.GoConn(a), None)
        assert str(conn.Handshake()) == "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config"
        conn.Close()


def test_new_client_over_tls_dial_is_tls_from_the_start(make_devserver, pki):
    srv = make_devserver(tls_port=None)
    conn, err = tls.Dial("tcp", "127.0.0.1:%d" % srv.tls_port, config(pki, ServerName="localhost"))
    assert err is None
    c, err = smtp.NewClient(conn, "localhost")
    assert err is None and c.tls
    state, ok = c.TLSConnectionState()
    assert ok and state.HandshakeComplete
    assert c.Mail("me@example.com") is None and c.Rcpt("you@example.com") is None
    w, err = c.Data()
    w.Write(b"Subject: 465\r\n\r\nimplicit TLS\r\n")
    assert w.Close() is None
    assert c.Quit() is None


def test_new_client_over_a_failing_lazy_client_returns_the_handshake_error(scripted):
    srv = scripted([Silent()], idle=0.5)
    raw, _ = net.Dial("tcp", srv.address)
    conn = tls.Client(raw, tls.Config(ServerName="localhost", MinVersion=0x0305))
    c, err = smtp.NewClient(conn, "localhost")
    assert c is None and str(err) == "tls: no supported versions satisfy MinVersion and MaxVersion"
    assert conn.closed


def test_starttls_takes_a_config_value(devserver, pki):
    c, err = smtp.Dial("127.0.0.1:%d" % devserver.port)
    assert c.StartTLS(config(pki, ServerName="localhost")) is None
    assert c.TLSConnectionState()[1]
    assert c.Quit() is None


# -- key pairs ---------------------------------------------------------------------

def test_x509_key_pair_texts(pki):
    cert_pem, key_pem = Path(pki.cert[0]).read_bytes(), Path(pki.cert[1]).read_bytes()
    other_key = Path(pki.issue("other.example")[1]).read_bytes()
    pair, err = tls.X509KeyPair(cert_pem, key_pem)
    assert err is None and isinstance(pair, tls.Certificate)
    cases = [
        (b"", key_pem, "tls: failed to find any PEM data in certificate input"),
        (key_pem, key_pem, "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"),
        (b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", key_pem,
         'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [FOO]'),
        (cert_pem, b"", "tls: failed to find any PEM data in key input"),
        (cert_pem, cert_pem, "tls: found a certificate rather than a key in the PEM for the private key"),
        (cert_pem, other_key, "tls: private key does not match public key"),
        # Checked with Go 1.27.3 too: a block that parses as no certificate, one whose base64 is bad.
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key_pem, "x509: malformed certificate"),
        (b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", key_pem,
         "tls: failed to find any PEM data in certificate input"),
    ]
    for cert_in, key_in, text in cases:
        pair, err = tls.X509KeyPair(cert_in, key_in)
        assert pair is None and str(err) == text


def test_load_x509_key_pair_reads_files(pki, tmp_path):
    pair, err = tls.LoadX509KeyPair(*pki.cert)
    assert err is None and pair.leaf
    missing = str(tmp_path / "missing.pem")
    pair, err = tls.LoadX509KeyPair(missing, pki.cert[1])
    assert pair is None and isinstance(err, FileNotFoundError)
    assert str(err) == "open %s: no such file or directory" % missing


# -- the table -----------------------------------------------------------------------

def test_config_is_built_from_a_map_or_keywords(pki):
    assert tls.Config({"ServerName": "mx"}).server_name == "mx"
    assert tls.Config(ServerName="mx", MinVersion=tls.VersionTLS12).min_version == 0x0303
    assert isinstance(tls.Config(), tls.PtrConfig)
    with pytest.raises(ArgumentError, match=r"unknown field 'Servername'"):
        tls.Config({"Servername": "mx"})
    with pytest.raises(ArgumentError, match=r"field MinVersion must be Int in 0..0xFFFF \(uint16\), got Int 65536"):
        tls.Config(MinVersion=0x10000)
    with pytest.raises(ArgumentError, match="field Certificates must be arrayOfCertificate"):
        tls.Config(Certificates=["cert.pem"])


def test_constants_are_marked_const():
    assert [tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13] == [0x0301, 0x0302, 0x0303, 0x0304]
    assert tls.VersionTLS13.const is True and tls.VersionTLS13.kind == "constant"
    assert repr(tls.VersionTLS12) == "771"


def test_misuse_raises():
    with pytest.raises(ArgumentError, match=r"Arg\[2\] \(config\) of go.std.crypto.tls/Dial must have type \*tls.Config"):
        tls.Dial("tcp", "127.0.0.1:1", ssl.create_default_context())
    with pytest.raises(ArgumentError, match=r"Arg\[0\] \(conn\) of go.std.crypto.tls/Client must have type go.std.net/Conn"):
        tls.Client("127.0.0.1:1", None)
    with pytest.raises(ArgumentError, match="network udp is not dialled here"):
        tls.Dial("udp", "127.0.0.1:1", None)


def test_help_and_metadata():
    assert tls.Dial.joker_args == "[^String network, ^String addr, ^*Config config]"
    assert tls.Dial.joker_returns == "[^*Conn, ^Error]"
    assert "(.Handshake conn)" in tls.PtrConn.__doc__
    assert "VersionTLS12" in tls.__joker_ns__.index()


# -- client certificates (mutual TLS against the dev server's --client-ca) -----------

@pytest.fixture
def mutual(make_devserver, pki):
    return make_devserver(users={"alice": "wonderland"}, tls_port=None, client_ca=pki.ca_path)


def test_dial_offers_the_client_certificate(mutual, pki):
    pair, err = tls.LoadX509KeyPair(*pki.issue("client.example"))
    assert err is None
    conn, err = tls.Dial("tcp", "127.0.0.1:%d" % mutual.tls_port,
                         config(pki, ServerName="localhost", Certificates=[pair]))
    assert err is None
    c, err = smtp.NewClient(conn, "localhost")
    assert err is None and c.Noop() is None and c.Quit() is None


def test_without_a_client_certificate_the_server_refuses(mutual, pki):
    conn, err = tls.Dial("tcp", "127.0.0.1:%d" % mutual.tls_port, config(pki, ServerName="localhost"))
    # TLS 1.3: the server's verdict comes after the client's Finished, with the first read (as in Go):
    # its alert when it sends one, else the end of the stream (asyncio's server closes without it).
    if err is None:
        c, err = smtp.NewClient(conn, "localhost")
        assert c is None
    assert str(err) in ("remote error: tls: certificate required", "EOF"), str(err)


def test_starttls_offers_the_client_certificate(mutual, pki):
    pair, _ = tls.LoadX509KeyPair(*pki.issue("client.example"))
    c, err = smtp.Dial("127.0.0.1:%d" % mutual.port)
    assert c.StartTLS({"ServerName": "localhost", "RootCAs": pki.ca_path, "Certificates": [pair]}) is None
    assert c.Auth(smtp.PlainAuth("", "alice", "wonderland", "127.0.0.1")) is None
    assert c.Quit() is None


def test_dial_with_dialer(tls_server, pki):
    conn, err = tls.DialWithDialer(net.Dialer(Timeout=5_000_000_000), "tcp", tls_server(), config(pki, ServerName="localhost"))
    assert err is None and conn.ConnectionState().HandshakeComplete
    conn.Close()
    conn, err = tls.DialWithDialer(net.Dialer(Timeout=-1), "tcp", "127.0.0.1:9", None)
    assert conn is None and str(err) == "dial tcp 127.0.0.1:9: i/o timeout"
    with pytest.raises(ArgumentError, match=r"Arg\[0\] \(dialer\) of go.std.crypto.tls/DialWithDialer must have type \*net.Dialer"):
        tls.DialWithDialer(None, "tcp", "127.0.0.1:9", None)


def test_load_x509_key_pair_with_a_nul_in_the_path():
    # Go's os.ReadFile refuses a NUL before any system call: EINVAL.
    pair, err = tls.LoadX509KeyPair("cert\x00.pem", "key.pem")
    assert pair is None and str(err) == "open cert\x00.pem: invalid argument"


def test_client_over_a_closed_conn_fails_its_handshake_as_go():
    a, b = socket.socketpair()
    with b:
        raw = net.GoConn(a, "tcp")
        raw.Close()
        conn = tls.Client(raw, tls.Config(ServerName="x"))
        # Go: the ClientHello's write meets the closed TCP connection.
        assert "use of closed network connection" in str(conn.Handshake())
        assert str(conn.Handshake()).startswith("write ")
