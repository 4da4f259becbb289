"""One owner of connection state: the client (both drivers share
:class:`smtp_core.clientstate.ClientState`) owns what the connection is and
learnt; the Pythonic layer's :class:`~smtp_core.pythonic.Session` reads it
and changes it only through the client's public methods, keeping only
what the client does not know."""

from __future__ import annotations

import asyncio
import sys

import pytest

from servers import addr
import smtp_core
from smtp_core import PlainAuth, TLSConfig, aio, prepare, send
from smtp_core.clientstate import ClientState

T = 10
BODY = b"Subject: state\r\n\r\nhi\r\n"


class Watched(smtp_core.Client):
    """A client that records the attributes set on it from the Pythonic layer's modules."""

    def __setattr__(self, name, value):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("smtp_core.pythonic"):
            self.__dict__.setdefault("written_by_pythonic", []).append(name)
        super().__setattr__(name, value)


@pytest.fixture
def trust(pki) -> TLSConfig:
    return TLSConfig(root_cas=pki.ca_path)


def test_the_session_writes_no_client_attribute(devserver, trust):
    client = smtp_core.dial(addr(devserver), timeout=T, client_class=Watched)
    auth = PlainAuth("", "alice", "wonderland", "127.0.0.1")
    prepare(client, tls="required", tls_config=trust, auth=auth, local_name="me.example", timeout=T)
    assert client.tls and client.authenticated and client.local_name == "me.example"
    send(client, "a@example.com", ["b@example.com"], BODY, auth=auth, tls="required", tls_config=trust)
    send(client, "a@example.com", ["c@example.com"], BODY, timeout=T + 1)
    client.quit()
    # Its own room, and the transport's bound (a property of the client's transport): nothing else.
    assert set(client.__dict__.get("written_by_pythonic", [])) == {"session", "timeout"}
    assert len(devserver.wait_for(2)) == 2


def test_authenticated_is_the_clients_and_starttls_resets_it(scripted, trust):
    from scripted import Starttls

    srv = scripted(["220 hi", "250-mx\n250-STARTTLS\n250 AUTH PLAIN", "235 ok", Starttls("220 go"),
                    "250-mx\n250 AUTH PLAIN", "221 bye"])
    c = smtp_core.dial(srv.address, timeout=T)
    assert not c.authenticated
    c.auth(PlainAuth("", "u", "p", "127.0.0.1"), plaintext_allowed=True)
    assert c.authenticated
    c.starttls(TLSConfig(server_name="127.0.0.1", root_cas=trust.root_cas))
    assert not c.authenticated and c.auth_mechanisms == ["PLAIN"]
    c.quit()


def test_both_drivers_share_the_state_and_its_names():
    assert issubclass(smtp_core.Client, ClientState) and issubclass(aio.client.Client, ClientState)
    for name in ("tls", "closed", "timeout", "transport", "writing", "authenticated", "server_info", "offers"):
        assert name not in vars(smtp_core.Client) and name not in vars(aio.client.Client), name
    assert smtp_core.pythonic.Mailer is smtp_core.pythonic.Session  # the former name still imports


def test_the_aio_client_keeps_the_same_state(devserver, trust):
    async def main():
        client = await aio.dial(addr(devserver), timeout=T)
        auth = PlainAuth("", "alice", "wonderland", "127.0.0.1")
        await aio.prepare(client, tls="required", tls_config=trust, auth=auth, timeout=T)
        assert client.tls and client.authenticated and client.offers("AUTH")[0]
        assert isinstance(client.session, smtp_core.pythonic.Session) and client.mailer is client.session
        assert repr(client).startswith("<smtp aio Client 127.0.0.1 TLS")
        await client.quit()

    asyncio.run(main())
