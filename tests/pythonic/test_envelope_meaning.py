""""Envelope" means the SMTP envelope (MAIL FROM and RCPT TO) and nothing
else: :mod:`smtp_core.pythonic.envelope` owns it; the (sender, recipients,
data) triple of :func:`smtp_core.envelope` is RFC 5321's mail object; the
pipelined write of an outgoing message is its ``pipelined`` bytes."""

from __future__ import annotations

import dataclasses

import pytest

import smtp_core
from smtp_core import EnvelopeError
from smtp_core.pythonic.capabilities import ServerProfile
from smtp_core.pythonic.envelope import WireEnvelope, wire_envelope
from smtp_core.pythonic.outgoing import Outgoing, outgoing


def test_the_composed_triple_is_a_mail_object_and_keeps_its_old_name():
    m = smtp_core.message({"from": "a@example.com", "to": ["b@example.com"], "subject": "s", "body": "hi"})
    got = smtp_core.envelope(m)
    assert type(got) is smtp_core.MailObject and smtp_core.Envelope is smtp_core.MailObject
    assert got._fields == ("sender", "recipients", "data") and got.sender == "a@example.com"


def test_the_server_profile_keeps_each_wire_envelope_once():
    server = ServerProfile({})
    first = server.wire_envelope("a@example.com", ["b@example.com", "b@example.com", "c@example.com"])
    assert isinstance(first, WireEnvelope) and first.recipients == ["b@example.com", "c@example.com"]
    assert server.wire_envelope("a@example.com", ("b@example.com", "b@example.com", "c@example.com")) is first
    assert server.wire_envelope("a@example.com", iter(["b@example.com", "b@example.com", "c@example.com"])) is first


def test_an_envelope_without_recipients_is_refused():
    with pytest.raises(EnvelopeError, match="no recipients"):
        wire_envelope("a@example.com", [], {})


def test_the_outgoing_message_names_its_write_not_an_envelope():
    out = outgoing(("a@example.com", "b@example.com", b"x\r\n"), ServerProfile({}))
    assert out.pipelined == b"".join(out.commands)
    assert "envelope" not in {f.name for f in dataclasses.fields(Outgoing)}
