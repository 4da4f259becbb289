"""Certificates that must not be trusted fail the STARTTLS handshake by default.

An untrusted issuer, an expired certificate and a certificate for another
host name each end the handshake with ``ssl.SSLCertVerificationError`` (an
``OSError``, as Go's x509 errors are I/O errors for a caller), whose
``verify_message`` says why.  Checked through the engine's
``Client.starttls(TLSConfig(...))`` and the namespace's
``(.StartTLS c {...})``; in both, nothing is sent after the failed
handshake and the error sticks to the connection, as Go's TLS error does.
Controls: a good certificate passes, and ``InsecureSkipVerify`` (asked for
explicitly) accepts any.
"""

from __future__ import annotations

import ssl

import pytest

import smtp_core
from smtp_core import TLSConfig
from scripted import Starttls

SCRIPT = ["220 tls.test", "250-tls.test\n250 STARTTLS", Starttls("220 go"), "250 tls.test", "221 bye"]


def bad_certificates(pki):
    """(server certificate, name the client expects, trusted CA, expected reason) per case."""
    return {
        "untrusted": (pki.other_ca().cert, "localhost", pki.ca_path, "unable to get local issuer certificate"),
        "expired": (pki.issue("localhost", "127.0.0.1", expired=True), "localhost", pki.ca_path,
                    "certificate has expired"),
        "wrong-name": (pki.cert, "mail.example.com", pki.ca_path, "Hostname mismatch"),
        "wrong-address": (pki.cert, "127.0.0.2", pki.ca_path, "IP address mismatch"),
        # No RootCAs: the system's trust store, which has never heard of the test CA.
        "system-roots": (pki.cert, "localhost", None, "unable to get local issuer certificate"),
    }


# The text, as Go's crypto/tls and crypto/x509 put it.
GO_TEXT = {
    "untrusted": "x509: certificate signed by unknown authority",
    "expired": "x509: certificate has expired or is not yet valid: the certificate has expired",
    # Go lists the names the certificate carries (the test PKI's: localhost,
    # testserver, 127.0.0.1, ::1), as the handshake showed them.
    "wrong-name": "x509: certificate is valid for localhost, testserver, not mail.example.com",
    "wrong-address": "x509: certificate is valid for 127.0.0.1, ::1, not 127.0.0.2",
    "system-roots": "x509: certificate signed by unknown authority",
}


CASES = ["untrusted", "expired", "wrong-name", "wrong-address", "system-roots"]


def check_failed_server_side(srv) -> None:
    srv.wait_done()
    conn = srv.connections[0]
    assert conn.tls_ok is False
    # Nothing at all reached the server after the 220 to STARTTLS.
    assert bytes(conn.data[conn.tls_at:]) == b""


@pytest.mark.parametrize("case", CASES)
def test_client_starttls_refuses(scripted, pki, case):
    cert, name, roots, reason = bad_certificates(pki)[case]
    srv = scripted(SCRIPT, cert=cert)
    with smtp_core.dial(srv.address) as c:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            c.starttls(TLSConfig(server_name=name, root_cas=roots))
        err = info.value
        assert isinstance(err, OSError)
        assert reason in err.verify_message, err.verify_message
        assert str(err) == "tls: failed to verify certificate: " + GO_TEXT[case]
        # Go's rule: the connection counts as TLS, and every later call gets the same error.
        assert c.tls
        with pytest.raises(ssl.SSLCertVerificationError) as again:
            c.noop()
        assert again.value is err
    check_failed_server_side(srv)


@pytest.mark.parametrize("case", CASES)
def test_namespace_starttls_returns_the_error(scripted, pki, case):
    import go_std.net.smtp as ns

    cert, name, roots, reason = bad_certificates(pki)[case]
    srv = scripted(SCRIPT, cert=cert)
    c, err = ns.Dial(srv.address)
    assert err is None
    config = {"ServerName": name}
    if roots is not None:
        config["RootCAs"] = roots
    err = c.StartTLS(config)
    assert isinstance(err, ssl.SSLCertVerificationError)
    assert reason in err.verify_message
    state, is_tls = c.TLSConnectionState()
    assert is_tls and not state.HandshakeComplete
    assert c.Noop() is err
    assert c.Close() is None
    check_failed_server_side(srv)


def test_ready_ssl_context_verifies_too(scripted, pki):
    # A caller's own SSLContext (create_default_context verifies) is used as given.
    srv = scripted(SCRIPT, cert=pki.other_ca().cert)
    ctx = ssl.create_default_context(cafile=pki.ca_path)
    with smtp_core.dial(srv.address) as c:
        with pytest.raises(ssl.SSLCertVerificationError):
            c.starttls(ctx, "localhost")
    check_failed_server_side(srv)


def test_a_callers_context_keeps_its_own_handshake_callback(scripted, pki):
    # The engine watches the handshake only on contexts it made (for Go's
    # texts); a caller's context, and the callback a caller set on it for
    # debugging, are left as they are, also when the handshake fails.
    seen = []
    for server_cert, expect_ok in ((None, True), (pki.other_ca().cert, False)):
        srv = scripted(SCRIPT, **({"cert": server_cert} if server_cert else {}))
        ctx = ssl.create_default_context(cafile=pki.ca_path)

        def callback(conn, direction, version, content_type, msg_type, data):
            seen.append(direction)

        ctx._msg_callback = callback
        with smtp_core.dial(srv.address) as c:
            if expect_ok:
                c.starttls(ctx, "localhost")
                c.quit()
            else:
                with pytest.raises(ssl.SSLCertVerificationError):
                    c.starttls(ctx, "localhost")
        assert ctx._msg_callback is callback
        assert "read" in seen and "write" in seen
        seen.clear()


# -- controls ------------------------------------------------------------------------

def test_good_certificate_passes(scripted, pki):
    srv = scripted(SCRIPT)
    with smtp_core.dial(srv.address) as c:
        c.starttls(TLSConfig(server_name="localhost", root_cas=pki.ca_path))
        state, ok = c.tls_connection_state()
        assert ok and state.HandshakeComplete
        c.quit()
    assert srv.connections[0].tls_ok


def test_insecure_skip_verify_must_be_asked_for(scripted, pki):
    srv = scripted(SCRIPT, cert=pki.other_ca().cert)
    with smtp_core.dial(srv.address) as c:
        c.starttls(TLSConfig(insecure_skip_verify=True))
        c.quit()
    assert srv.connections[0].tls_ok


def test_no_server_name_no_handshake(scripted, pki):
    # Go refuses to start a handshake that could verify no name at all.
    srv = scripted(SCRIPT)
    with smtp_core.dial(srv.address) as c:
        with pytest.raises(smtp_core.TLSSetupError) as info:
            c.starttls(TLSConfig(root_cas=pki.ca_path))
        assert str(info.value) == ("tls: either ServerName or InsecureSkipVerify must be "
                                   "specified in the tls.Config")


# -- the dev server's CA on disk (smtp_core.devserver.pki) -----------------------------

def test_self_signed_server_is_reused_until_unsuitable(tmp_path):
    from smtp_core.devserver import pki as devpki

    first = devpki.self_signed_server(tmp_path)
    contents = [p.read_bytes() for p in first]
    again = devpki.self_signed_server(tmp_path)
    assert again == first
    assert [p.read_bytes() for p in again] == contents

    # A name the cached certificate lacks forces a new one...
    extended = devpki.self_signed_server(tmp_path, names=("localhost", "mail.example.test"))
    assert extended[1].read_bytes() != contents[1]
    # ...which still covers the defaults, so it is reused for them.
    extended_bytes = extended[1].read_bytes()
    assert devpki.self_signed_server(tmp_path)[1].read_bytes() == extended_bytes

    # A broken key, or a certificate from another CA, is replaced rather than served.
    extended[2].write_text("not a key")
    repaired = devpki.self_signed_server(tmp_path)
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(repaired[1], repaired[2])
    foreign = devpki.make_ca(tmp_path / "foreign")
    devpki.issue_cert(foreign, tmp_path, devpki.DEFAULT_SERVER_NAMES)
    reissued = devpki.self_signed_server(tmp_path)
    ssl.create_default_context(cafile=str(reissued[0])).load_cert_chain(reissued[1], reissued[2])
    _handshake(reissued)


def _handshake(files, name: str = "127.0.0.1") -> None:
    """A real TLS handshake on loopback: the CA verifies the certificate for ``name``
    (``ssl.SSLCertVerificationError`` if it does not)."""
    import socket
    import threading

    ca, cert, key = files
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)

        def serve():
            conn, _ = listener.accept()
            try:
                with server_ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):  # the client refused the certificate
                conn.close()

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname(), timeout=10) as raw:
                with client_ctx.wrap_socket(raw, server_hostname=name) as tls:
                    tls.sendall(b"x")
        finally:
            thread.join(10)


def _write_dev_pair(directory, days_left: float, ca_days: float | None = None):
    """A constrained CA and its certificate in ``directory`` as self_signed_server
    leaves them, the certificate ending in ``days_left`` days."""
    import datetime

    from smtp_core.devserver import pki as devpki

    names = devpki.DEFAULT_SERVER_NAMES
    authority = devpki.constrained_ca(names, lifetime=datetime.timedelta(days=ca_days or days_left + 1))
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = authority.issue_cert(*names, not_before=now - datetime.timedelta(days=1),
                                not_after=now + datetime.timedelta(days=days_left))
    authority.cert_pem.write_to_path(directory / "ca.pem")
    leaf.cert_chain_pems[0].write_to_path(directory / "server.pem")
    leaf.private_key_pem.write_to_path(directory / "server.key")
    return [(directory / name).read_bytes() for name in ("ca.pem", "server.pem")]


def test_a_certificate_near_its_end_is_reissued_with_a_new_ca(tmp_path):
    from smtp_core.devserver import pki as devpki

    kept = _write_dev_pair(tmp_path, days_left=200)
    devpki.self_signed_server(tmp_path)
    assert [(tmp_path / name).read_bytes() for name in ("ca.pem", "server.pem")] == kept
    for days_left, ca_days in ((29, None), (200, 29)):  # the certificate, then the CA, near its end
        stale = _write_dev_pair(tmp_path, days_left=days_left, ca_days=ca_days)
        devpki.self_signed_server(tmp_path)
        fresh = [(tmp_path / name).read_bytes() for name in ("ca.pem", "server.pem")]
        assert fresh[0] != stale[0] and fresh[1] != stale[1]
    _handshake(devpki.self_signed_server(tmp_path))


def test_private_keys_are_readable_by_their_owner_only(tmp_path):
    from smtp_core.devserver import pki as devpki

    ca, cert, key = devpki.self_signed_server(tmp_path / "dev")
    other = devpki.make_ca(tmp_path / "ca")
    leaf_cert, leaf_key = devpki.issue_cert(other, tmp_path / "ca")
    for path in (key, other.key_path, leaf_key):
        assert path.stat().st_mode & 0o777 == 0o600, path
    # Reissuing over an existing, more open key file does not keep its mode.
    leaf_key.chmod(0o644)
    devpki.issue_cert(other, tmp_path / "ca")
    assert leaf_key.stat().st_mode & 0o777 == 0o600


def test_concurrent_first_uses_share_one_certificate(tmp_path):
    # Two processes start a dev server at once on a fresh cache: the lock makes
    # the second reuse what the first made, so both serve the same certificate.
    import subprocess
    import sys

    code = ("import sys; from smtp_core.devserver import pki; "
            "print(pki.self_signed_server(sys.argv[1])[1].read_text())")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                             text=True) for _ in range(3)]
    outputs = {run.communicate(timeout=60)[0] for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(outputs) == 1


# -- issue 21, finding 19: the dev server's CA is constrained, short-lived, keyless on disk ----

def _names(constraints):
    return {str(tree.value) for tree in constraints.permitted_subtrees}


def test_the_dev_ca_is_constrained_to_its_names_lives_a_year_and_leaves_no_key(tmp_path):
    import datetime

    from cryptography import x509
    from smtp_core.devserver import pki as devpki

    ca_path, cert_path, key_path = devpki.self_signed_server(tmp_path)
    authority = x509.load_pem_x509_certificate(ca_path.read_bytes())
    leaf = x509.load_pem_x509_certificate(cert_path.read_bytes())
    constraints = authority.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert _names(constraints.value) == {"localhost", "127.0.0.1/32", "::1/128"}
    assert constraints.value.excluded_subtrees is None
    basic = authority.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    now = datetime.datetime.now(datetime.timezone.utc)
    assert authority.not_valid_before_utc <= now <= authority.not_valid_after_utc
    assert authority.not_valid_after_utc - authority.not_valid_before_utc <= datetime.timedelta(days=367)
    assert leaf.not_valid_after_utc < authority.not_valid_after_utc
    assert leaf.not_valid_after_utc - now <= datetime.timedelta(days=366)
    # The only private key on disk is the server's; the CA's was never written.
    assert not (tmp_path / "ca.key").exists()
    holding_keys = {path.name for path in tmp_path.iterdir() if b"PRIVATE KEY" in path.read_bytes()}
    assert holding_keys == {key_path.name}
    for name in ("127.0.0.1", "localhost"):
        _handshake((ca_path, cert_path, key_path), name)

    # A name outside the constraints needs a new CA that permits it (nothing
    # could sign for it with the old one), and that CA replaces the old one.
    extended = devpki.self_signed_server(tmp_path, names=("localhost", "mail.dev.test", "192.0.2.7"))
    wider = x509.load_pem_x509_certificate(extended[0].read_bytes())
    assert wider != authority
    assert _names(wider.extensions.get_extension_for_class(x509.NameConstraints).value) == {
        "localhost", "127.0.0.1/32", "::1/128", "mail.dev.test", "192.0.2.7/32"}
    _handshake(extended, "mail.dev.test")


def test_pythons_ssl_refuses_what_the_dev_ca_signs_outside_its_constraints(tmp_path):
    from smtp_core.devserver import pki as devpki

    # The CA's key is in memory here only: what an attacker who stole it could sign.
    authority = devpki.constrained_ca(devpki.DEFAULT_SERVER_NAMES)
    authority.cert_pem.write_to_path(tmp_path / "ca.pem")

    def files(*names):
        leaf = authority.issue_cert(*names)
        stem = tmp_path / names[0].replace(":", "_")
        leaf.cert_chain_pems[0].write_to_path(f"{stem}.pem")
        leaf.private_key_pem.write_to_path(f"{stem}.key")
        return tmp_path / "ca.pem", f"{stem}.pem", f"{stem}.key"

    _handshake(files("localhost", "127.0.0.1"), "localhost")
    _handshake(files("mail.localhost"), "mail.localhost")  # RFC 6761: still this machine
    for name in ("bank.example", "127.0.0.2", "localhost.example"):
        with pytest.raises(ssl.SSLCertVerificationError, match="permitted subtree violation"):
            _handshake(files(name), name)


def test_a_cache_from_an_earlier_version_is_replaced_and_its_ca_key_deleted(tmp_path):
    from cryptography import x509
    from smtp_core.devserver import pki as devpki

    # What earlier versions left: trustme's CA (2000 to 3000, no constraints) and its key.
    old = devpki.make_ca(tmp_path, name="gostd-smtp devserver CA")
    devpki.issue_cert(old, tmp_path, devpki.DEFAULT_SERVER_NAMES)
    old_ca = old.cert_path.read_bytes()
    ca_path, cert_path, key_path = devpki.self_signed_server(tmp_path)
    assert ca_path.read_bytes() != old_ca
    authority = x509.load_pem_x509_certificate(ca_path.read_bytes())
    authority.extensions.get_extension_for_class(x509.NameConstraints)
    assert not (tmp_path / "ca.key").exists()
    _handshake((ca_path, cert_path, key_path))
