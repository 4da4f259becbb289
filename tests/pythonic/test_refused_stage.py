"""``MessageRefused.stage`` is a :class:`~smtp_core.RefusedAt` member that
is also its old string: code that compares ``stage == "DATA end"``, keys a
dict by it or formats it keeps working, and code that wants the closed set
of stages gets an enum."""

from __future__ import annotations

import pickle

import pytest

from smtp_core import MessageRefused, RefusedAt, ReplyError, SendError, send

EHLO = "250 mx.example.test"
BODY = b"Subject: x\r\n\r\nhi\r\n"


def test_every_stage_is_its_text():
    assert [(m.name, m.value) for m in RefusedAt] == [
        ("MAIL", "MAIL"), ("RCPT", "RCPT"), ("DATA", "DATA"), ("DATA_END", "DATA end")]
    for member in RefusedAt:
        assert isinstance(member, str) and member == member.value
        assert hash(member) == hash(member.value)
        assert str(member) == "%s" % member == "{}".format(member) == f"{member}" == member.value
        assert {member.value: 1}[member] == 1
        assert RefusedAt(member.value) is member


def test_refusal_keeps_its_classes_text_and_stage_type():
    err = MessageRefused(554, "no", "DATA end")
    assert isinstance(err, ReplyError) and isinstance(err, SendError)
    assert err.stage is RefusedAt.DATA_END and err.stage == "DATA end"
    assert str(err) == 'smtp: DATA end refused: 554 "no"'
    assert repr(err) == '<MessageRefused: smtp: DATA end refused: 554 "no">'
    assert pickle.loads(pickle.dumps(err.stage)) is RefusedAt.DATA_END


def test_a_stage_outside_the_set_is_refused_at_once():
    with pytest.raises(ValueError, match="EHLO"):
        MessageRefused(554, "no", "EHLO")


@pytest.mark.parametrize("script, stage", [
    (["451 later"], RefusedAt.MAIL),
    (["250 ok", "250 ok", "452 full"], RefusedAt.DATA),
    (["250 ok", "250 ok", "354 go", "554 spam"], RefusedAt.DATA_END),
])
def test_send_reports_the_member(scripted, script, stage):
    srv = scripted(["220 mx", EHLO] + script + ["250 reset", "221 bye"])
    with pytest.raises(MessageRefused) as info:
        send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=10)
    assert info.value.stage is stage
