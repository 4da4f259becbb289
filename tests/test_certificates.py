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
    "wrong-name": "x509: certificate is not valid for mail.example.com",
    "wrong-address": "x509: certificate is not valid for 127.0.0.2",
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
