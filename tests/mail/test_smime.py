"""S/MIME signing and encryption of composed mail (smtp_core.mail.smime), judged by OpenSSL.

Certificates are made at test time with ``cryptography`` (a CA, an
intermediate, signers and recipients for good and bad cases); the real
``openssl smime -verify`` / ``-decrypt`` and ``openssl cms`` binaries
check what was composed and what arrived at aiosmtpd, and dkimpy checks a
DKIM signature made over the S/MIME message.
"""

from __future__ import annotations

import email.policy
import shutil
import subprocess
from email.parser import BytesParser
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from smime_pki import DAY, NOW, Certificates, private_pem

from smtp_core import ComposeError, envelope, message, send

T = 10


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("smime"))


def openssl_verify(data: bytes, certs: Certificates, tmp_path: Path) -> subprocess.CompletedProcess:
    """``openssl smime -verify`` of ``data`` against the test CA (the real binary)."""
    assert shutil.which("openssl"), "openssl is needed (Debian: openssl)"
    path = tmp_path / "signed.eml"
    path.write_bytes(data)
    return subprocess.run(["openssl", "smime", "-verify", "-in", str(path), "-CAfile", certs.ca_path],
                          capture_output=True, timeout=T)


SPEC = {"from": "Åsa <asa@example.com>", "to": "bob@example.com", "subject": "Signed",
        "date": "Tue, 01 Dec 2026 03:00:00 +0000", "message-id": "s1@example.com"}
BODIES = {
    "text": "Hello, signed world.\n.\nFrom here on\n",
    "text-no-final-newline": "Grüße ✓ without newline",
    "mixed": [[":alternative", "plain text\n", {"type": "text/html", "content": "<p>hi</p>"}],
              {"type": "attachment", "content": bytes(range(256)) * 40, "file-name": "x.bin"}],
}


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_openssl_verifies_the_signed_message(certs, tmp_path, body, kind):
    signer = certs.signer("signer-" + kind, kind)
    m = message(dict(SPEC, body=BODIES[body], smime=dict(signer, chain=[certs.mid_path])))
    data = envelope(m).data
    assert m.get_content_type() == "multipart/signed"
    assert m.get_param("protocol") == "application/pkcs7-signature" and m.get_param("micalg") == "sha-256"
    inner, signature = m.get_payload()
    assert signature.get_content_type() == "application/pkcs7-signature"
    assert signature.get_filename() == "smime.p7s" and signature["Content-Transfer-Encoding"] == "base64"
    checked = openssl_verify(data, certs, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert b"Verification successful" in checked.stderr
    # What OpenSSL says was signed is the body as composed without S/MIME.
    plain = message(dict(SPEC, body=BODIES[body]))
    got = BytesParser(policy=email.policy.default).parsebytes(checked.stdout)
    assert got.get_content_type() == plain.get_content_type()
    if body != "mixed":
        assert got.get_content().replace("\r\n", "\n") == plain.get_content()


def test_a_changed_byte_fails_verification(certs, tmp_path):
    m = message(dict(SPEC, body="Pay 10 EUR\n", smime=certs.signer("tamper", via_mid=False)))
    data = envelope(m).data
    assert openssl_verify(data, certs, tmp_path).returncode == 0
    changed = openssl_verify(data.replace(b"Pay 10 EUR", b"Pay 90 EUR"), certs, tmp_path)
    assert changed.returncode != 0 and b"digest failure" in changed.stderr, changed.stderr


def test_without_the_chain_the_intermediate_is_missing(certs, tmp_path):
    # The chain given is what lets a receiver that only knows the root verify.
    m = message(dict(SPEC, body="x\n", smime=certs.signer("no-chain")))
    assert openssl_verify(envelope(m).data, certs, tmp_path).returncode != 0
    direct = message(dict(SPEC, body="x\n", smime=certs.signer("direct", via_mid=False)))
    assert openssl_verify(envelope(direct).data, certs, tmp_path).returncode == 0


class Keys:
    """A DKIM key and its DNS record."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
        import base64

        self.record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(self, name, timeout=5):
        return self.record if name == b"s1._domainkey.example.com." else None


def test_dkim_over_smime_both_verify_on_what_arrived(certs, tmp_path, pipelining_server):
    handler, address = pipelining_server
    keys = Keys()
    m = message(dict(SPEC, body=BODIES["mixed"], smime=dict(certs.signer("dkim-over"), chain=[certs.mid_path])))
    send(address, m, tls="none", timeout=T,
         dkim={"domain": "example.com", "selector": "s1", "private-key": private_pem(keys.private)})
    [(_, _, arrived)] = handler.messages
    arrived = arrived.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert arrived.startswith(b"DKIM-Signature:")
    assert dkim.verify(arrived, dnsfunc=keys.dns)
    checked = openssl_verify(arrived, certs, tmp_path)
    assert checked.returncode == 0, checked.stderr


# -- bad input: a ComposeError naming the file, before anything is built -------------------


def test_missing_and_unreadable_files_are_named(certs, tmp_path):
    good = certs.signer("good")
    for key, value in [("cert", str(tmp_path / "nope.pem")), ("key", str(tmp_path / "nope.key"))]:
        with pytest.raises(ComposeError) as caught:
            message(dict(SPEC, body="x\n", smime=dict(good, **{key: value})))
        assert "cannot read the file %r" % value in str(caught.value) and ":smime :" + key in str(caught.value)
    with pytest.raises(ComposeError) as caught:
        message(dict(SPEC, body="x\n", smime=dict(good, chain=[str(tmp_path / "gone.pem")])))
    assert "gone.pem" in str(caught.value) and ":smime :chain[0]" in str(caught.value)
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a certificate")
    with pytest.raises(ComposeError, match="junk.pem' is not an X.509 certificate"):
        message(dict(SPEC, body="x\n", smime=dict(good, cert=str(junk))))
    with pytest.raises(ComposeError, match="junk.pem' is not a private key"):
        message(dict(SPEC, body="x\n", smime=dict(good, key=str(junk))))


def test_a_certificate_that_does_not_match_its_key(certs):
    one, other = certs.signer("one"), certs.signer("other")
    with pytest.raises(ComposeError) as caught:
        message(dict(SPEC, body="x\n", smime={"cert": one["cert"], "key": other["key"]}))
    assert "one.pem" in str(caught.value) and "does not match the key" in str(caught.value)
    assert "other.key" in str(caught.value)


@pytest.mark.parametrize("options, complaint", [
    ({"start": NOW - 30 * DAY, "end": NOW - DAY}, "expired on"),
    ({"start": NOW + DAY, "end": NOW + 30 * DAY}, "is not valid before"),
    ({"usage": "encrypt"}, "key usage does not allow signatures"),
    ({"purposes": (ExtendedKeyUsageOID.SERVER_AUTH,)}, "does not include emailProtection"),
], ids=["expired", "not-yet-valid", "encrypt-only", "server-auth"])
def test_a_certificate_that_may_not_sign_mail(certs, options, complaint):
    stem = "bad-" + complaint.split()[0]
    bad = certs.signer(stem, **options)
    with pytest.raises(ComposeError) as caught:
        message(dict(SPEC, body="x\n", smime=bad))
    assert complaint in str(caught.value) and stem + ".pem" in str(caught.value)


def test_a_key_with_a_passphrase_and_spec_mistakes(certs, tmp_path):
    good = certs.signer("locked")
    key = serialization.load_pem_private_key(Path(good["key"]).read_bytes(), None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(ComposeError, match="locked.key' is protected by a passphrase"):
        message(dict(SPEC, body="x\n", smime=dict(good, key=str(locked))))
    with pytest.raises(ComposeError, match=r":smime: unknown key 'cret'; did you mean 'cert'\?"):
        message(dict(SPEC, body="x\n", smime={"cret": good["cert"], "key": good["key"]}))
    with pytest.raises(ComposeError, match=":smime: :key is required"):
        message(dict(SPEC, body="x\n", smime={"cert": good["cert"]}))
    with pytest.raises(ComposeError, match=":smime signs or encrypts the :body"):
        message(dict(SPEC, smime=good))


# -- encryption ------------------------------------------------------------------------------


def openssl(*args: str, data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=T)


@pytest.fixture(scope="module")
def recipients(certs) -> dict:
    return {who: certs.signer("enc-" + who, email=who + "@example.com", usage="encrypt") for who in ("bob", "carol")}


def test_each_recipient_decrypts_and_nobody_else(certs, recipients, tmp_path):
    m = message(dict(SPEC, body=BODIES["mixed"], smime={"encrypt-to": [recipients["bob"]["cert"],
                                                                       recipients["carol"]["cert"]]}))
    data = envelope(m).data
    assert m.get_content_type() == "application/pkcs7-mime" and m.get_param("smime-type") == "enveloped-data"
    assert m.get_filename() == "smime.p7m" and m["Content-Transfer-Encoding"] == "base64"
    assert b"plain text" not in data and m["Subject"] == "Signed"  # the headers stay readable, the body does not
    plain = message(dict(SPEC, body=BODIES["mixed"]))
    for who in ("bob", "carol"):
        out = openssl("smime", "-decrypt", "-recip", recipients[who]["cert"], "-inkey", recipients[who]["key"],
                      data=data)
        assert out.returncode == 0, out.stderr
        got = BytesParser(policy=email.policy.default).parsebytes(out.stdout)
        assert got.get_content_type() == "multipart/mixed"
        assert [p.get_content_type() for p in got.walk()] == [p.get_content_type() for p in plain.walk()]
        assert got.get_body(("plain",)).get_content().replace("\r\n", "\n") == "plain text\n"
    stranger = certs.signer("stranger", email="eve@example.com", usage="encrypt")
    out = openssl("smime", "-decrypt", "-recip", stranger["cert"], "-inkey", stranger["key"], data=data)
    assert out.returncode != 0
    printed = openssl("cms", "-cmsout", "-print", "-inform", "SMIME", data=data)
    assert printed.returncode == 0 and b"aes-256-cbc" in printed.stdout


def test_signed_then_encrypted_decrypts_then_verifies(certs, recipients, tmp_path, pipelining_server):
    handler, address = pipelining_server
    keys = Keys()
    protection = dict(certs.signer("sign-enc"), chain=[certs.mid_path], **{"encrypt-to": recipients["bob"]["cert"]})
    m = message(dict(SPEC, body="Secret and signed.\n", smime=protection))
    send(address, m, tls="none", timeout=T,
         dkim={"domain": "example.com", "selector": "s1", "private-key": private_pem(keys.private)})
    [(_, _, arrived)] = handler.messages
    arrived = arrived.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert dkim.verify(arrived, dnsfunc=keys.dns)
    out = openssl("smime", "-decrypt", "-recip", recipients["bob"]["cert"], "-inkey", recipients["bob"]["key"],
                  data=arrived)
    assert out.returncode == 0, out.stderr
    assert BytesParser(policy=email.policy.default).parsebytes(out.stdout).get_content_type() == "multipart/signed"
    checked = openssl_verify(out.stdout, certs, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.replace(b"\r\n", b"\n").endswith(b"Secret and signed.\n")


@pytest.mark.parametrize("options, complaint", [
    ({"usage": "sign"}, "key usage does not allow encryption"),
    ({"usage": "encrypt", "start": NOW - 30 * DAY, "end": NOW - DAY}, "expired on"),
    ({"usage": "encrypt", "purposes": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, "does not include emailProtection"),
    ({"usage": "encrypt", "kind": "ec"}, "S/MIME encryption takes RSA certificates"),
], ids=["sign-only", "expired", "client-auth", "ec"])
def test_a_recipient_certificate_that_may_not_encrypt(certs, recipients, options, complaint, request):
    stem = "bad-rcpt-" + request.node.callspec.id
    bad = certs.signer(stem, email="dan@example.com", **options)
    with pytest.raises(ComposeError) as caught:
        message(dict(SPEC, body="x\n", smime={"encrypt-to": [recipients["bob"]["cert"], bad["cert"]]}))
    text = str(caught.value)
    assert complaint in text and stem + ".pem" in text and "(dan@example.com)" in text
    assert ":smime :encrypt-to[1]" in text


def test_recipient_files_that_are_missing_or_none(tmp_path):
    missing = str(tmp_path / "bob.pem")
    with pytest.raises(ComposeError, match=r":smime :encrypt-to\[0\]: cannot read the file .*bob.pem"):
        message(dict(SPEC, body="x\n", smime={"encrypt-to": missing}))
    with pytest.raises(ComposeError, match="an empty list of certificates"):
        message(dict(SPEC, body="x\n", smime={"encrypt-to": []}))
    with pytest.raises(ComposeError, match="give :cert and :key to sign, :encrypt-to to encrypt"):
        message(dict(SPEC, body="x\n", smime={}))


def test_without_cryptography_smime_says_what_to_install(tmp_path):
    import sys

    code = ("import sys; sys.modules['cryptography'] = None\n"
            "from smtp_core import ComposeError, message\n"
            "try:\n"
            "    message({'from': 'a@example.com', 'body': 'x', 'smime': {'encrypt-to': 'bob.pem'}})\n"
            "except ComposeError as err:\n"
            "    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert ":smime needs the cryptography package (pip install 'gostd-smtp[smime]')" in out.stdout


def test_utf8_headers_sign_and_encrypt(certs, recipients, tmp_path):
    # A non-ASCII local part: UTF-8 headers (SMTPUTF8), a file name in UTF-8.
    body = ["Grüße\n", {"type": "attachment", "content": b"x", "file-name": "Grüße.txt"}]
    spec = dict(SPEC, **{"from": "Jürgen <jürgen@bücher.test>"}, body=body)
    signed = message(dict(spec, smime=certs.signer("utf8", via_mid=False)))
    assert signed.policy.utf8
    assert openssl_verify(envelope(signed).data, certs, tmp_path).returncode == 0
    both = message(dict(spec, smime=dict(certs.signer("utf8-both", via_mid=False),
                                         **{"encrypt-to": recipients["bob"]["cert"]})))
    out = openssl("smime", "-decrypt", "-recip", recipients["bob"]["cert"], "-inkey", recipients["bob"]["key"],
                  data=envelope(both).data)
    assert out.returncode == 0 and openssl_verify(out.stdout, certs, tmp_path).returncode == 0
