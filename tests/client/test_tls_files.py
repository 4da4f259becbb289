"""Files named by TLS settings: a failure names the file, in Go's words.

A missing ``RootCAs`` file once gave ``FileNotFoundError(2, ...)`` with no
path.  Now each file-taking setting (``root_cas``, ``client_cert``,
``client_key``) that cannot be used fails before anything is sent, with
Go's ``open <path>: no such file or directory`` (an ``OSError`` keeping its
errno and ``filename``) or a ``crypto/tls`` text naming the file.  Through
the engine, the namespace (an error value) and the Pythonic ``connect``.
Go's own texts elsewhere (``wrong host name``) are untouched.
"""

from __future__ import annotations

import errno

import pytest

import smtp_core
from smtp_core import PlainAuth, TLSConfig
from smtp_core.errors import TLSSetupError
from scripted import Starttls

SCRIPT = ["220 tls.test", "250-tls.test\n250 STARTTLS", Starttls("220 go"), "250 tls.test", "221 bye"]


def bad_settings(pki, tmp_path):
    """(settings, expected class, expected text) per case."""
    missing = str(tmp_path / "nowhere" / "ca.pem")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a certificate\n")
    other_key = pki.issue("other.test")[1]
    cert, key = pki.cert
    return {
        "missing-root-cas": (dict(root_cas=missing), FileNotFoundError,
                             "open %s: no such file or directory" % missing),
        "root-cas-not-pem": (dict(root_cas=str(text_file)), TLSSetupError,
                             "tls: no certificate found in %s" % text_file),
        "root-cas-bytes-not-pem": (dict(root_cas=b"junk"), TLSSetupError, "tls: no certificate found in RootCAs data"),
        "missing-client-cert": (dict(root_cas=pki.ca_path, client_cert=missing), FileNotFoundError,
                                "open %s: no such file or directory" % missing),
        "missing-client-key": (dict(root_cas=pki.ca_path, client_cert=cert, client_key=missing), FileNotFoundError,
                               "open %s: no such file or directory" % missing),
        "client-cert-not-pem": (dict(root_cas=pki.ca_path, client_cert=str(text_file), client_key=key), TLSSetupError,
                                "tls: failed to find any PEM data in certificate input (%s)" % text_file),
        "client-key-not-pem": (dict(root_cas=pki.ca_path, client_cert=cert, client_key=str(text_file)), TLSSetupError,
                               "tls: failed to find any PEM data in key input (%s)" % text_file),
        "client-key-mismatch": (dict(root_cas=pki.ca_path, client_cert=cert, client_key=other_key), TLSSetupError,
                                "tls: private key does not match public key (%s, %s)" % (cert, other_key)),
    }


CASES = ["missing-root-cas", "root-cas-not-pem", "root-cas-bytes-not-pem", "missing-client-cert",
         "missing-client-key", "client-cert-not-pem", "client-key-not-pem", "client-key-mismatch"]


@pytest.mark.parametrize("case", CASES)
def test_engine_starttls_names_the_file(scripted, pki, tmp_path, case):
    settings, cls, text = bad_settings(pki, tmp_path)[case]
    srv = scripted(["220 tls.test", "250-tls.test\n250 STARTTLS", "250 noop ok", "221 bye"])
    with smtp_core.dial(srv.address) as c:
        with pytest.raises(cls) as caught:
            c.starttls(TLSConfig(server_name="localhost", **settings))
        assert str(caught.value) == text
        if cls is FileNotFoundError:
            assert caught.value.errno == errno.ENOENT and caught.value.filename in text
        # Refused before anything was sent: the connection is still plain and usable.
        assert not c.tls
        c.noop()
    srv.wait_done()
    assert b"STARTTLS" not in srv.transcript(0)


@pytest.mark.parametrize("case", ["missing-root-cas", "root-cas-not-pem", "root-cas-bytes-not-pem"])
def test_namespace_returns_the_file_error(scripted, pki, tmp_path, case):
    import go_std.net.smtp as ns

    settings, cls, text = bad_settings(pki, tmp_path)[case]
    config = {"ServerName": "localhost", "RootCAs": settings["root_cas"]}
    srv = scripted(SCRIPT)
    c, err = ns.Dial(srv.address)
    assert err is None
    err = c.StartTLS(config)
    assert isinstance(err, cls) and str(err) == text
    assert c.Close() is None


def test_pythonic_connect_names_the_file(scripted, pki, tmp_path):
    settings, cls, text = bad_settings(pki, tmp_path)["missing-root-cas"]
    srv = scripted(SCRIPT)
    with pytest.raises(FileNotFoundError) as caught:
        smtp_core.connect(srv.address, tls="required", tls_config=TLSConfig(**settings))
    assert str(caught.value) == text


def test_go_texts_stay_go(scripted):
    # Go's own text for PLAIN to another host is kept as is, without a path or prefix.
    srv = scripted(["220 x", "250-x\n250 AUTH PLAIN", "221 bye"])
    c = smtp_core.dial(srv.address)
    with pytest.raises(smtp_core.AuthError) as caught:
        c.auth(PlainAuth("", "u", "p", "elsewhere.example"))
    assert str(caught.value) == "wrong host name"
