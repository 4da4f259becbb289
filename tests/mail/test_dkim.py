"""DKIM signing (smtp_core.mail.signing): signed on our side, verified by dkimpy on what arrived.

Keys are made at test time with dkimpy's own key tool (``dknewkey``'s
functions: ``openssl genrsa`` for RSA, PyNaCl for Ed25519) and with
``openssl genpkey``; the public half is served to ``dkim.verify`` by a
stub DNS function, so nothing leaves the machine.
"""

from __future__ import annotations

import email.message
import email.policy
import re
from email.parser import BytesParser
from pathlib import Path

import dkim
import pytest

from dkim_keys import Keys, verifies

from smtp_core import DKIMError, DKIMSigner, dkim_sign, envelope, message, send, send_many

T = 10


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("dkim"))


def composed() -> email.message.EmailMessage:
    return message({"from": "Åsa <asa@example.com>", "to": "bob@example.com", "bcc": "eve@example.net",
                    "subject": "Signed ✓", "headers": {"Resent-Bcc": "hidden@example.net"},
                    "body": [[":alternative", "Hello\n.\nno newline at the end",
                              {"type": "text/html", "content": "<p>Hello</p>"}],
                             {"type": "attachment", "content": bytes(range(256)) * 40, "file-name": "b.bin"}]})


@pytest.mark.parametrize("selector, algorithm, key", [
    ("rsa", "rsa-sha256", "rsa"), ("ed", "ed25519-sha256", "ed25519"), ("edpem", "ed25519-sha256", "ed25519_pem"),
])
def test_signed_message_verifies_on_arrival_and_tampering_fails(devserver, keys, selector, algorithm, key):
    m = composed()
    signed = dkim_sign(m, domain="example.com", selector=selector, private_key=getattr(keys, key),
                       algorithm=algorithm)
    assert signed.startswith(b"DKIM-Signature: v=1; a=" + algorithm.encode())
    assert signed.endswith(envelope(m).data)  # the signature goes in front of the wire bytes, nothing else changes
    sender, recipients, _ = envelope(m)
    send("127.0.0.1:%d" % devserver.port, sender, recipients, signed, tls="none", timeout=T)
    [got] = devserver.wait_for(1)
    assert got.raw == signed and "eve@example.net" in got.envelope_to
    assert b"eve@example.net" not in got.raw and b"hidden@example.net" not in got.raw
    assert verifies(got.raw, keys)
    body_at = got.raw.index(b"Hello")
    assert not verifies(got.raw[:body_at] + b"J" + got.raw[body_at + 1:], keys)
    assert not verifies(got.raw.replace(b"Subject: ", b"Subject: Re: ", 1), keys)


def test_key_given_as_bytes_or_pem_text(keys):
    with open(keys.rsa, "rb") as f:
        pem = f.read()
    m = composed()
    for key in (pem, pem.decode(), pem.replace(b"\n", b"\r\n")):
        assert verifies(dkim_sign(m, "example.com", "rsa", key), keys)
    with open(keys.ed25519, "rb") as f:
        seed = f.read()
    assert verifies(dkim_sign(m, "example.com", "ed", seed, algorithm="ed25519-sha256"), keys)


def test_bytes_and_files_are_signed_as_the_wire_carries_them(keys, tmp_path):
    lf = b"From: a@example.com\nTo: b@example.com\nSubject: lf\n\nline one\nline two\n"
    signed = dkim_sign(lf, "example.com", "rsa", keys.rsa)
    assert signed.endswith(lf.replace(b"\n", b"\r\n")) and verifies(signed, keys)
    path = tmp_path / "m.eml"
    path.write_bytes(lf)
    with open(path, "rb") as f:
        assert verifies(dkim_sign(f, "example.com", "rsa", keys.rsa), keys)


def test_chosen_headers_are_signed(keys):
    signed = dkim_sign(composed(), "example.com", "rsa", keys.rsa, headers=["From", "Subject"])
    fields = dict(f.strip().split("=", 1) for f in
                  re.sub(r"\s+", "", BytesParser(policy=email.policy.compat32).parsebytes(signed)["DKIM-Signature"])
                  .split(";") if f)
    assert fields["h"] == "from:from:subject:subject" and verifies(signed, keys)  # each oversigned


# -- oversigning: no header a receiver shows can be added after signing ----------------

SHOWN = ["From", "Sender", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To", "References",
         "Content-Type", "MIME-Version", "Content-Transfer-Encoding"]
ADDED = {"From": "ceo@example.com", "Sender": "ceo@example.com", "To": "all@example.com",
         "Cc": "all@example.com", "Subject": "Urgent: pay now", "Date": "Fri, 01 Jan 2038 00:00:00 +0000",
         "Message-ID": "<forged@example.com>", "Reply-To": "thief@example.net", "In-Reply-To": "<x@example.com>",
         "References": "<x@example.com>", "Content-Type": "text/html", "MIME-Version": "1.0",
         "Content-Transfer-Encoding": "base64"}


def with_header(signed: bytes, line: bytes, where: str) -> bytes:
    """``signed`` with one more header line just after the signature, or last in the header."""
    signature, rest = split_signature(signed)
    if where == "first":
        return signature + line + b"\r\n" + rest
    head, body = rest.split(b"\r\n\r\n", 1)
    return signature + head + b"\r\n" + line + b"\r\n\r\n" + body


@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("headers", [None, SHOWN], ids=["default", "explicit"])
@pytest.mark.parametrize("name", SHOWN)
def test_a_header_added_after_signing_breaks_the_signature(keys, name, headers, where):
    signed = dkim_sign(composed(), "example.com", "rsa", keys.rsa, headers=headers)
    assert verifies(signed, keys)
    assert not verifies(with_header(signed, b"%s: %s" % (name.encode(), ADDED[name].encode()), where), keys)


def test_oversigning_leaves_room_for_trace_headers(keys):
    # A relay adds Received and Authentication-Results; the signature must survive that.
    signed = dkim_sign(composed(), "example.com", "rsa", keys.rsa)
    relayed = with_header(with_header(signed, b"Received: from relay.example.net", "first"),
                          b"Authentication-Results: mx.example.net; dkim=pass", "first")
    assert verifies(relayed, keys)


def test_signed_fields_oversign_each_name_and_by_default_the_absent_shown_ones():
    from smtp_core.mail.signing import OVERSIGNED, signed_fields

    head = b"From: a@example.com\r\nTo: b@example.com\r\nto: c@example.com\r\nX-Mailer: m\r\nSubject: s"
    assert signed_fields(head, ["From", "TO", "from"]) == ["from", "from", "to", "to", "to"]
    default = signed_fields(head)
    assert default.count("from") == 2 and default.count("to") == 3 and default.count("subject") == 2
    assert "x-mailer" not in default  # not in dkimpy's recommended set: free for anyone to add
    assert all(default.count(name) >= 1 for name in OVERSIGNED)  # absent ones signed as absent


def test_a_signer_from_a_map_signs_many(keys):
    signer = DKIMSigner.from_spec({"domain": "example.com", "selector": "ed", "private_key": keys.ed25519,
                                   "algorithm": "ed25519-sha256"})
    assert DKIMSigner.from_spec(signer) is signer
    assert all(verifies(signer.sign(composed()), keys) for _ in range(3))
    assert "example.com" in repr(signer)


@pytest.mark.parametrize("change, error", [
    ({"private_key": "/nonexistent/dkim.pem"},
     r"private_key is neither a PEM block nor a file that can be read \(No such file or directory\)"),
    ({"private_key": Path("/nonexistent/dkim.pem")}, r"cannot read the private key file '/nonexistent/dkim.pem'"),
    ({"private_key": b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"},
     r"the private key does not load as an rsa-sha256 key"),
    ({"private_key": "ED25519"}, r"the private key file '.*ed.key' does not load as an rsa-sha256 key"),
    ({"private_key": "RSA", "algorithm": "ed25519-sha256"}, r"'.*rsa.key' is not an Ed25519 key"),
    ({"private_key": b"not base64!", "algorithm": "ed25519-sha256"}, r"does not load as an ed25519-sha256 key"),
    ({"algorithm": "rsa-sha1"}, r"algorithm 'rsa-sha1' is not one of rsa-sha256, ed25519-sha256"),
    ({"headers": ["Subject", "To"]}, r"headers must include From"),
    ({"headers": "From"}, r"a list of header names"),
    ({"domain": "example .com"}, r"domain 'example .com' is not a DNS name"),
    ({"selector": "s1\r\nX: y"}, r"selector .* is not a DNS label"),
    ({"private_key": 42}, r"private_key must be a path, bytes or a PEM string, got int"),
])
def test_bad_settings_are_named_before_signing(keys, change, error):
    settings = {"domain": "example.com", "selector": "rsa", "private_key": keys.rsa}
    settings.update(change)
    settings["private_key"] = {"RSA": keys.rsa, "ED25519": keys.ed25519}.get(settings["private_key"],
                                                                           settings["private_key"]) \
        if isinstance(settings["private_key"], str) else settings["private_key"]
    with pytest.raises(DKIMError, match=error):
        DKIMSigner(**settings)


def key_forms_that_do_not_load(keys) -> dict:
    """Key material in forms that do not load: none may show in the error."""
    with open(keys.rsa, "rb") as f:
        pem = f.read()
    with open(keys.ed25519, "rb") as f:
        seed = f.read().decode().strip()
    body = b"".join(pem.split(b"-----")[2].split())
    lines = pem.splitlines(keepends=True)
    truncated = b"".join(lines[:len(lines) // 2] + lines[-1:])
    return {
        "seed text for rsa": ("rsa-sha256", seed),
        "seed text": ("ed25519-sha256", seed),
        "PEM body without its lines": ("rsa-sha256", body.decode()),
        "PEM body, folded": ("rsa-sha256", pem.split(b"-----")[2].decode()),
        "text with NUL": ("rsa-sha256", body.decode()[:60] + "\0"),
        "truncated PEM bytes": ("rsa-sha256", truncated),
        "truncated PEM text": ("rsa-sha256", truncated.decode()),
        "corrupted seed bytes": ("ed25519-sha256", ("!" + seed[1:]).encode()),
    }


def secret_shown(secret, text: str) -> str | None:
    """The first 8 characters of ``secret`` (key material) that ``text`` repeats, if any."""
    secret = secret.decode("ascii", "replace") if isinstance(secret, bytes) else secret
    pieces = ("".join(line.split()) for line in secret.split("-----") if "BEGIN" not in line and "END" not in line)
    material = "".join(pieces)
    return next((material[i:i + 8] for i in range(len(material) - 7) if material[i:i + 8] in text), None)


def test_key_material_that_does_not_load_is_never_repeated(keys):
    for form, (algorithm, key) in key_forms_that_do_not_load(keys).items():
        with pytest.raises(DKIMError) as failure:
            DKIMSigner("example.com", "rsa", key, algorithm=algorithm)
        text = str(failure.value)
        assert secret_shown(key, text) is None, (form, text)
        assert "private key" in text or "private_key" in text, (form, text)
        assert "\n" not in text and len(text) < 300, (form, text)


def test_bad_maps_and_messages(keys):
    with pytest.raises(DKIMError, match=r"unknown key 'privat_key'; did you mean 'private-key'\?"):
        DKIMSigner.from_spec({"domain": "example.com", "selector": "rsa", "privat_key": keys.rsa})
    with pytest.raises(DKIMError, match=r":private-key is required"):
        DKIMSigner.from_spec({"domain": "example.com", "selector": "rsa"})
    signer = DKIMSigner("example.com", "rsa", keys.rsa)
    with pytest.raises(DKIMError, match="no From header"):
        signer.sign(b"To: b@example.com\r\n\r\nx\r\n")
    with pytest.raises(TypeError, match="EmailMessage, bytes or a binary file"):
        signer.sign("text")


def test_two_signers_side_by_side_both_verify(keys):
    from smtp_core.mail.signing import sign_all, signers

    chosen = signers([{"domain": "example.com", "selector": "ed", "private-key": keys.ed25519,
                       "algorithm": "ed25519-sha256"},
                      DKIMSigner("example.com", "rsa", keys.rsa)])
    signed = sign_all(envelope(composed()).data, chosen)
    assert signed.startswith(b"DKIM-Signature: v=1; a=ed25519-sha256")
    checker = dkim.DKIM(signed)
    assert checker.verify(idx=0, dnsfunc=keys.dns) and checker.verify(idx=1, dnsfunc=keys.dns)
    assert signers(None) == () and len(signers(chosen[1])) == 1


# --------------------------------------------------------------------------
# send and send_many with dkim=: exactly the signed bytes on the wire
# --------------------------------------------------------------------------


def split_signature(raw: bytes) -> tuple[bytes, bytes]:
    """The leading DKIM-Signature field (with its folded lines) and the rest."""
    match = re.match(rb"DKIM-Signature:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*", raw)
    assert match, raw[:80]
    return match.group(), raw[match.end():]


def signed_fields(header: bytes) -> list[bytes]:
    """The lower-cased field names of a DKIM-Signature's h= tag."""
    unfolded = re.sub(rb"\r\n[ \t]+", b" ", header.split(b":", 1)[1])
    tags = dict(tag.strip().split(b"=", 1) for tag in unfolded.split(b";") if tag.strip())
    return [name.strip().lower() for name in re.sub(rb"\s", b"", tags[b"h"]).split(b":")]


def test_send_signs_exactly_what_goes_on_the_wire(devserver, keys):
    m = composed()
    spec = {"domain": "example.com", "selector": "rsa", "private_key": keys.rsa}
    send("127.0.0.1:%d" % devserver.port, m, tls="none", timeout=T, dkim=spec)
    [got] = devserver.wait_for(1)
    header, rest = split_signature(got.raw)
    assert rest == envelope(m).data  # Bcc and Resent-Bcc removed before signing, nothing after
    fields = signed_fields(header)  # h=, not the whole field: b= is base64 and may spell "bcc"
    assert b"from" in fields and b"bcc" not in fields and b"resent-bcc" not in fields
    assert verifies(got.raw, keys) and got.envelope_to == ("bob@example.com", "eve@example.net")


def test_send_many_signs_every_message_and_files_are_read_whole(devserver, keys, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(b"From: a@example.com\nTo: b@example.com\nSubject: file\n\n" + b"line\n" * 20000)
    both = [{"domain": "example.com", "selector": "ed", "private-key": keys.ed25519, "algorithm": "ed25519-sha256"},
            {"domain": "example.com", "selector": "rsa", "private-key": keys.rsa}]
    with open(path, "rb") as f:
        results = send_many("127.0.0.1:%d" % devserver.port,
                            [composed(), ("a@example.com", ["b@example.com"], f),
                             ("a@example.com", ["b@example.com"], b"To: b@example.com\r\n\r\nno From\r\n")],
                            tls="none", timeout=T, dkim=both)
    assert [type(r).__name__ for r in results] == ["SendResult", "SendResult", "DKIMError"]
    for got in devserver.wait_for(2):
        checker = dkim.DKIM(got.raw)
        assert checker.verify(idx=0, dnsfunc=keys.dns) and checker.verify(idx=1, dnsfunc=keys.dns)


def test_a_key_that_does_not_load_costs_no_connection(free_port, keys):
    # Nothing listens on free_port: a connection attempt would be refused.
    with pytest.raises(DKIMError, match="does not load"):
        send("127.0.0.1:%d" % free_port, composed(), tls="none", timeout=T,
             dkim={"domain": "example.com", "selector": "rsa", "private_key": keys.ed25519})
    with pytest.raises(DKIMError, match="unknown key 'selectr'"):
        send_many("127.0.0.1:%d" % free_port, [composed()], tls="none", timeout=T,
                  dkim={"domain": "example.com", "selectr": "rsa", "private_key": keys.rsa})
