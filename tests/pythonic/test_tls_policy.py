"""TLS policies of the Pythonic API: required, opportunistic, none, implicit.

Against the dev server (STARTTLS and an implicit-TLS port, certificate from
the session CA) and scripted servers for the hostile cases: a server (or a
man in the middle) that hides STARTTLS, and one whose post-TLS EHLO drops
the AUTH it advertised in plaintext.
"""

from __future__ import annotations

import ssl

import pytest
from scripted import SNIRecordingServer, Starttls

from servers import addr
import smtp_core
from smtp_core import (
    AuthError,
    LoginAuth,
    PlainAuth,
    TLSConfig,
    TLSRequiredError,
    connect,
    dial_tls,
    prepare,
    send,
)

T = 10
BODY = b"Subject: tls\r\n\r\nhi\r\n"
OK_MESSAGE = ["250 ok", "250 ok", "354 go", "250 queued", "221 bye"]


@pytest.fixture
def trust(pki) -> TLSConfig:
    return TLSConfig(root_cas=pki.ca_path)


# --------------------------------------------------------------------------
# STARTTLS policies
# --------------------------------------------------------------------------


def test_required_uses_starttls(devserver, trust):
    send(addr(devserver), "a@example.com", ["b@example.com"], BODY, tls="required", tls_config=trust, timeout=T)
    assert devserver.wait_for(1)[0].tls


def test_opportunistic_is_the_default(devserver, trust):
    send(addr(devserver), "a@example.com", ["b@example.com"], BODY, tls_config=trust, timeout=T)
    assert devserver.wait_for(1)[0].tls


def test_none_stays_plaintext_even_when_offered(devserver):
    with connect(addr(devserver), tls="none", timeout=T) as c:
        assert c.extension("STARTTLS")[0] and not c.tls
        send(c, "a@example.com", ["b@example.com"], BODY)
        c.quit()
    assert not devserver.wait_for(1)[0].tls


@pytest.mark.parametrize("ehlo", ["250-mx\n250 AUTH PLAIN LOGIN", "250 mx"])
def test_required_fails_closed_when_starttls_is_hidden(scripted, ehlo):
    # What a man in the middle stripping STARTTLS looks like to the client.
    srv = scripted(["220 hi", ehlo, "221 bye"])
    with pytest.raises(TLSRequiredError, match="does not offer STARTTLS"):
        send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="required",
             auth=PlainAuth("", "user", "secret", "127.0.0.1"), timeout=T)
    # Nothing but the greeting and a QUIT: no credential, no envelope.
    assert srv.transcript(0) == b"EHLO localhost\r\nQUIT\r\n"


def test_required_fails_closed_after_helo(scripted):
    srv = scripted(["220 hi", "502 no EHLO here", "250 hello", "221 bye"])
    with pytest.raises(TLSRequiredError):
        connect(srv.address, tls="required", timeout=T)
    assert srv.transcript(0) == b"EHLO localhost\r\nHELO localhost\r\nQUIT\r\n"


def test_opportunistic_goes_on_in_plaintext_without_starttls(scripted):
    srv = scripted(["220 hi", "250 mx"] + OK_MESSAGE)
    result = send(srv.address, "a@example.com", ["b@example.com"], BODY, timeout=T)
    assert result.accepted == ["b@example.com"]
    assert b"STARTTLS" not in srv.transcript(0)


def test_required_on_a_prepared_plaintext_client_upgrades_or_refuses(devserver, trust, scripted):
    with connect(addr(devserver), tls="none", timeout=T) as c:
        send(c, "a@example.com", ["b@example.com"], BODY, tls="required", tls_config=trust)
        assert c.tls
        c.quit()
    srv = scripted(["220 hi", "250 mx", "221 bye"])
    c = connect(srv.address, tls="none", timeout=T)
    with pytest.raises(TLSRequiredError):
        send(c, "a@example.com", ["b@example.com"], BODY, tls="required")
    assert c.closed and b"MAIL" not in srv.transcript(0)


def test_implicit_policy_on_a_plaintext_client_is_refused(scripted):
    srv = scripted(["220 hi", "250-mx\n250 STARTTLS", "221 bye"])
    c = smtp_core.dial(srv.address, timeout=T)
    with pytest.raises(TLSRequiredError, match="implicit"):
        prepare(c, tls="implicit")
    assert c.closed


# --------------------------------------------------------------------------
# Verification, SNI, host-name override
# --------------------------------------------------------------------------


def test_verification_is_on_by_default(devserver):
    # The session CA is not in the system's trust store.
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(addr(devserver), tls="required", timeout=T)


def test_verification_can_be_turned_off_explicitly(devserver):
    send(addr(devserver), "a@example.com", ["b@example.com"], BODY, tls="required", verify=False, timeout=T)
    send(addr(devserver), "a@example.com", ["b@example.com"], BODY, tls="required",
         tls_config=TLSConfig(insecure_skip_verify=True), timeout=T)
    assert all(m.tls for m in devserver.wait_for(2))


def test_a_ready_ssl_context_is_used_as_is(devserver, pki):
    ctx = ssl.create_default_context(cafile=pki.ca_path)
    send(addr(devserver), "a@example.com", ["b@example.com"], BODY, tls="required", tls_config=ctx, timeout=T)
    assert devserver.wait_for(1)[0].tls
    with pytest.raises(ValueError, match="SSLContext"):
        connect(addr(devserver), tls="required", tls_config=ctx, verify=False, timeout=T)


def test_server_name_override_for_an_ip_address(pki, trust):
    script = ["220 hi", "250-mx\n250 STARTTLS", Starttls("220 go"), "250 mx", "221 bye"]
    with SNIRecordingServer(script, script, cert=pki.cert) as srv:
        # The certificate also names "testserver": verified against it, and sent as SNI.
        c = connect(srv.address, tls="required", tls_config=trust, server_name="testserver", timeout=T)
        state, ok = c.tls_connection_state()
        assert ok and state.ServerName == "testserver" and c.server_name == "testserver"
        c.quit()
        # Without the override the IP address is verified, and no SNI is sent for it.
        c = connect(srv.address, tls="required", tls_config=trust, timeout=T)
        c.quit()
        srv.wait_done()
        assert srv.sni == ["testserver", None]


def test_a_wrong_server_name_fails_verification(devserver, trust):
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(addr(devserver), tls="required", tls_config=trust, server_name="mail.example.com", timeout=T)


# --------------------------------------------------------------------------
# Implicit TLS (port 465)
# --------------------------------------------------------------------------


def test_dial_tls_is_tls_from_the_start(devserver, trust):
    with dial_tls(addr(devserver, devserver.tls_port), tls_config=trust, timeout=T,
                  auth=LoginAuth("alice", "wonderland")) as c:
        assert c.tls
        state, ok = c.tls_connection_state()
        assert ok and state.HandshakeComplete and state.Version >= 0x0303
        assert not c.extension("STARTTLS")[0]
        send(c, "alice@example.com", ["bob@example.com"], BODY)
        c.quit()
    [got] = devserver.wait_for(1)
    assert got.tls and got.authenticated_as == "alice"


def test_send_with_implicit_policy(devserver, trust):
    send(addr(devserver, devserver.tls_port), "a@example.com", ["b@example.com"], BODY, tls="implicit",
         tls_config=trust, timeout=T)
    assert devserver.wait_for(1)[0].tls


def test_dial_tls_verifies_and_can_opt_out(devserver):
    with pytest.raises(ssl.SSLCertVerificationError):
        dial_tls(addr(devserver, devserver.tls_port), timeout=T)
    with dial_tls(addr(devserver, devserver.tls_port), verify=False, timeout=T) as c:
        assert c.tls
        c.quit()


def test_dial_tls_with_server_name(pki, trust):
    with SNIRecordingServer(["220 hi", "250 mx", "221 bye"], cert=pki.cert, implicit_tls=True) as srv:
        c = dial_tls(srv.address, tls_config=trust, server_name="testserver", timeout=T)
        c.quit()
        srv.wait_done()
        assert srv.sni == ["testserver"]


# --------------------------------------------------------------------------
# Nothing learnt before TLS survives it
# --------------------------------------------------------------------------

STALE_AUTH = ["220 hi", "250-mx\n250-STARTTLS\n250 AUTH PLAIN LOGIN", Starttls("220 go"), "250-mx\n250 SIZE 1000"]


@pytest.mark.parametrize("auth", [PlainAuth("", "u", "p", "127.0.0.1"),
                                  [PlainAuth("", "u", "p", "127.0.0.1"), LoginAuth("u", "p")]],
                         ids=["one", "choose"])
def test_the_pre_tls_auth_list_is_forgotten(scripted, trust, auth):
    srv = scripted(STALE_AUTH + ["221 bye"])
    with pytest.raises(AuthError, match="doesn't support AUTH"):
        connect(srv.address, tls="required", tls_config=trust, auth=auth, timeout=T)
    conn = srv.connections[0]
    srv.wait_done()
    after_tls = bytes(conn.data[conn.tls_at:])
    assert after_tls == b"EHLO localhost\r\n"  # no AUTH was tried on the stale list


def test_the_go_named_client_keeps_go_behaviour(scripted, trust):
    # Go's Client keeps auth mechanisms from before TLS when the new EHLO
    # has no AUTH line; the session layer above does not rely on them.
    srv = scripted(STALE_AUTH + ["221 bye"])
    c = smtp_core.dial(srv.address, timeout=T)
    c.starttls(TLSConfig(server_name="127.0.0.1", root_cas=trust.root_cas))
    assert c.auth_mechanisms == ["PLAIN", "LOGIN"]
    assert "AUTH" not in c.extensions
    c.quit()
