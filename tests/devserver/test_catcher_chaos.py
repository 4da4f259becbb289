"""Mailpit's chaos (issue 20, item 7): ``GET``/``PUT /api/v1/chaos``, applied
by the SMTP side at MAIL (Sender), RCPT (Recipient) and AUTH
(Authentication), one owner with ``--fail-at`` (the :class:`Policy`).

Over real SMTP (the standard library's ``smtplib``, to see each reply) and
real HTTP on loopback, and through npm's ``mailpit-api`` (getChaos /
setChaos).  Probabilities 0 and 100 are exact; a middle one is tested with
an injected random source (no statistics).
"""

from __future__ import annotations

import json
import smtplib

import pytest

from smtp_core.devserver.features import Features
from smtp_core.devserver.smtp.policy import Chaos

from catcher_http import call, get_json
from cli_process import DevServerProcess, refusal

T = 10.0
DEFAULTS = {"Sender": {"ErrorCode": 451, "Probability": 0}, "Recipient": {"ErrorCode": 451, "Probability": 0},
            "Authentication": {"ErrorCode": 535, "Probability": 0}}


def chaos_catcher(make_catcher, chaos: Chaos | None = None, **options):
    return make_catcher(features=Features(chaos=chaos or Chaos()), **options)


def put(catcher, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, _, text = call(catcher, "PUT", "/api/v1/chaos", data,
                           {"Content-Type": "application/json", **(headers or {})})
    return status, text


def envelope(catcher, sender="a@example.com", recipients=("b@example.com",)):
    """``(MAIL reply, [RCPT replies])`` of one transaction (then RSET)."""
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.ehlo("client.example")
        mail = client.mail(sender)
        rcpts = [client.rcpt(rcpt) for rcpt in recipients] if mail[0] == 250 else []
        client.rset()
        return mail, rcpts


# ---- 1. the routes ----

def test_chaos_routes_are_400_when_chaos_is_not_enabled(catcher):
    assert call(catcher, "GET", "/api/v1/chaos")[::2] == (400, b"Chaos is not enabled")
    assert put(catcher, {"Sender": {"ErrorCode": 451, "Probability": 100}}) == (400, b"Chaos is not enabled")
    assert get_json(catcher, "/api/v1/webui")["ChaosEnabled"] is False
    assert envelope(catcher)[0][0] == 250


def test_get_chaos_shows_mailpits_defaults_and_put_replaces_all_three(make_catcher):
    catcher = chaos_catcher(make_catcher)
    assert get_json(catcher, "/api/v1/chaos") == DEFAULTS
    assert get_json(catcher, "/api/v1/webui")["ChaosEnabled"] is True

    status, text = put(catcher, {"Recipient": {"ErrorCode": 550, "Probability": 100},
                                 "sender": {"probability": 7}})  # Go matches names in any case
    assert status == 200
    expected = {**DEFAULTS, "Recipient": {"ErrorCode": 550, "Probability": 100},
                "Sender": {"ErrorCode": 451, "Probability": 7}}
    assert json.loads(text) == expected == get_json(catcher, "/api/v1/chaos")
    # An omitted trigger is reset, as Mailpit does; {} resets them all.
    assert json.loads(put(catcher, {})[1]) == DEFAULTS


@pytest.mark.parametrize("body, text", [
    ({"Sender": {"ErrorCode": 399, "Probability": 1}}, "error code must be between 400 and 599"),
    ({"Recipient": {"ErrorCode": 600}}, "error code must be between 400 and 599"),
    ({"Authentication": {"Probability": 101}}, "probability must be between 0 and 100"),
    ({"Sender": {"Probability": -1}}, "probability must be between 0 and 100"),
    ({"Sender": {"Probability": "50"}},
     "json: cannot unmarshal string into Go struct field Trigger.Sender.Probability of type int"),
    ({"Sender": {"ErrorCode": 451.5}},
     "json: cannot unmarshal number 451.5 into Go struct field Trigger.Sender.ErrorCode of type int"),
    ({"Recipient": "often"},
     "json: cannot unmarshal string into Go struct field Triggers.Recipient of type chaos.Trigger"),
    ([1], "json: cannot unmarshal array into Go value of type chaos.Triggers"),
    (b"", "EOF"),
    (b"{\"Sender\":", "unexpected EOF"),
    (b"nope", "invalid character 'n' looking for beginning of value"),
])
def test_a_bad_chaos_body_is_400_with_mailpits_text_and_changes_nothing(make_catcher, body, text):
    catcher = chaos_catcher(make_catcher)
    assert put(catcher, {"Sender": {"ErrorCode": 452, "Probability": 3}})[0] == 200
    before = get_json(catcher, "/api/v1/chaos")
    assert put(catcher, body) == (400, text.encode())
    assert get_json(catcher, "/api/v1/chaos") == before


def test_a_page_of_another_origin_cannot_set_chaos(make_catcher):
    catcher = chaos_catcher(make_catcher)
    status, _ = put(catcher, {"Sender": {"Probability": 100}}, {"Origin": "http://evil.example"})
    assert status == 403
    assert get_json(catcher, "/api/v1/chaos") == DEFAULTS


# ---- 2. applied by the SMTP side ----

def test_probability_100_fails_mail_rcpt_and_auth_with_mailpits_reply(make_catcher):
    catcher = chaos_catcher(make_catcher, users={"alice": "pw"})
    assert put(catcher, {"Sender": {"ErrorCode": 452, "Probability": 100}})[0] == 200
    assert envelope(catcher)[0] == (452, b"Chaos sender error")

    assert put(catcher, {"Recipient": {"ErrorCode": 550, "Probability": 100}})[0] == 200
    mail, rcpts = envelope(catcher, recipients=["b@example.com", "c@example.com"])
    assert mail[0] == 250 and rcpts == [(550, b"Chaos recipient error")] * 2

    assert put(catcher, {"Authentication": {"Probability": 100}})[0] == 200
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.ehlo("client.example")
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("alice", "pw")
        assert (refused.value.smtp_code, refused.value.smtp_error) == (535, b"Chaos authentication error")
        assert client.noop()[0] == 250  # the session goes on, as in Mailpit
    assert catcher.messages() == []


def test_probability_0_never_fails_and_mail_arrives(make_catcher):
    catcher = chaos_catcher(make_catcher, users={"alice": "pw"})
    assert put(catcher, {"Sender": {"ErrorCode": 421, "Probability": 0}})[0] == 200
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.login("alice", "pw")
        for number in range(20):
            assert client.sendmail("a@example.com", ["b@example.com"], f"Subject: {number}\r\n\r\nx\r\n") == {}
    assert len(catcher.wait_for(20, T)) == 20


def test_a_middle_probability_strikes_below_it_with_the_injected_random_source(make_catcher):
    draws = iter(range(100))  # each chance once: 0..99
    chaos = Chaos({"Sender": {"ErrorCode": 451, "Probability": 30}}, randbelow=lambda n: next(draws) % n)
    catcher = chaos_catcher(make_catcher, chaos)
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.ehlo("client.example")
        codes = []
        for _ in range(100):
            codes.append(client.mail("a@example.com")[0])
            client.rset()
    assert codes == [451] * 30 + [250] * 70


def test_a_random_middle_probability_fails_some_and_not_all(make_catcher):
    catcher = chaos_catcher(make_catcher, Chaos({"Recipient": {"ErrorCode": 451, "Probability": 50}}))
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.ehlo("client.example")
        client.mail("a@example.com")
        failed = sum(client.rcpt(f"r{n}@example.com")[0] == 451 for n in range(200))
    assert 0 < failed < 200  # (1/2)**200 each way: never, in practice


def test_fail_at_still_comes_first_and_chaos_runs_beside_it(make_catcher):
    catcher = chaos_catcher(make_catcher, Chaos({"Recipient": {"ErrorCode": 554, "Probability": 100}}),
                            fail_at="mail:451")
    assert envelope(catcher)[0][0] == 451  # the injected MAIL failure, not chaos
    assert envelope(catcher)[0][1].endswith(b"(injected at mail)")


# ---- 3. the command line and npm's mailpit-api ----

def test_mailpit_api_client_gets_and_sets_chaos(make_catcher, mailpit_client):
    catcher = chaos_catcher(make_catcher)
    assert mailpit_client(catcher, "getChaosTriggers") == {"result": DEFAULTS}
    result = mailpit_client(catcher, "setChaosTriggers", {"Sender": {"ErrorCode": 450, "Probability": 100}})
    assert result == {"result": {**DEFAULTS, "Sender": {"ErrorCode": 450, "Probability": 100}}}
    assert envelope(catcher)[0] == (450, b"Chaos sender error")
    refused = mailpit_client(catcher, "setChaosTriggers", {"Sender": {"ErrorCode": 200, "Probability": 1}})
    assert "error" in refused


def test_mailpit_api_client_sees_chaos_off(catcher, mailpit_client):
    assert "error" in mailpit_client(catcher, "getChaosTriggers")


@pytest.mark.parametrize("flags, expected", [
    (["--enable-chaos"], DEFAULTS),
    (["--chaos-triggers", "Sender:452:100,auth:535:5"],
     {**DEFAULTS, "Sender": {"ErrorCode": 452, "Probability": 100},
      "Authentication": {"ErrorCode": 535, "Probability": 5}}),
])
def test_cli_flags_enable_chaos(tmp_path, flags, expected):
    import urllib.request

    with DevServerProcess("--port", "0", "--http-port", "0", "--quiet", "--maildir", str(tmp_path / "mail"),
                          "--cert-dir", str(tmp_path / "certs"), *flags, cwd=tmp_path) as server:
        url = server.web_url()
        with urllib.request.urlopen(url + "api/v1/webui", timeout=T) as response:
            assert json.loads(response.read())["ChaosEnabled"] is True
        with urllib.request.urlopen(url + "api/v1/chaos", timeout=T) as response:
            assert json.loads(response.read()) == expected
    assert server.returncode == 0, server.stderr


@pytest.mark.parametrize("value, text", [
    ("Sender:451", "--chaos-triggers expects TRIGGER:CODE:PROBABILITY, got 'Sender:451'"),
    ("Sender:451:101", "--chaos-triggers 'Sender:451:101': probability must be between 0 and 100"),
    ("Bounce:451:1", "--chaos-triggers 'Bounce:451:1': unknown key bounce"),
])
def test_a_bad_chaos_triggers_flag_is_a_usage_error_naming_it(tmp_path, value, text):
    assert text in refusal("--chaos-triggers", value, cwd=tmp_path)


def test_authentication_chaos_strikes_only_for_an_offered_mechanism(make_catcher):
    catcher = chaos_catcher(make_catcher, Chaos({"Authentication": {"ErrorCode": 454, "Probability": 100}}),
                            users={"alice": "pw"})
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.ehlo("client.example")
        assert client.docmd("AUTH", "NOSUCH")[0] == 504  # as Mailpit: the mechanism is checked first
        assert client.docmd("AUTH", "PLAIN AGFsaWNlAHB3") == (454, b"Chaos authentication error")


def test_chaos_routes_answer_only_the_catchers_own_host_name(make_catcher):
    catcher = chaos_catcher(make_catcher)  # DNS rebinding: a page's name pointed at 127.0.0.1
    assert call(catcher, "GET", "/api/v1/chaos", headers={"Host": "evil.example"})[0] == 403
    assert put(catcher, {"Sender": {"Probability": 100}}, {"Host": "evil.example"})[0] == 403
    assert get_json(catcher, "/api/v1/chaos") == DEFAULTS
