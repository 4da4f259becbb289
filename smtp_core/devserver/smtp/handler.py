"""What the dev server does with a session's envelope: the policy's answers
to MAIL, RCPT, VRFY and AUTH, and the hand-off of accepted mail to the
catcher's :class:`~smtp_core.devserver.mailbox.store.MailStore`.

The store's work (parse, Maildir file, index row, group commit) runs on
the store's thread (:mod:`.intake`); the reply to the final dot waits for it, so a ``250`` means
the message is in the Maildir and the index.  Nothing received stays in
memory.  Every client-chosen value that goes into a reply passes through
:func:`~smtp_core.devserver.mailbox.received.escape_controls`.

>>> handler = MailHandler(Policy.from_settings(reject_rcpt=["no@example.com"]), store=None, on_message=None)
>>> envelope = Envelope(mail_from="a@example.com")
>>> handler.recipient_reply(envelope, "No@example.com", max_recipients=1)
'550 5.1.1 <No@example.com>: Recipient address rejected'
>>> handler.recipient_reply(envelope, "b@example.com", max_recipients=1), envelope.rcpt_tos
('250 OK', ['b@example.com'])
>>> handler.recipient_reply(envelope, "c@example.com", max_recipients=1)
'452 4.5.3 Error: too many recipients'
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..features import RuntimeStats
from ..mailbox.received import ReceivedMessage, escape_controls
from ..mailbox.store import MailStore, PartLimitError, StoredEnvelope
from .intake import Incoming, StoreThread
from .limits import TOO_MANY_RECIPIENTS
from .policy import Policy, ReplyOverride

__all__ = ["Envelope", "MailHandler", "received_from"]

log = logging.getLogger(__name__)


@dataclass
class Envelope:
    """One transaction's envelope, from MAIL to the final dot."""

    #: As the client gave it; the null reverse-path ``MAIL FROM:<>`` is ``"<>"``.
    mail_from: str | None = None
    mail_options: list[str] = field(default_factory=list)
    rcpt_tos: list[str] = field(default_factory=list)


class MailHandler:
    """Applies the recipient/VRFY policy and stores mail in the catcher's
    :class:`~smtp_core.devserver.mailbox.store.MailStore` (one per server,
    shared by its sessions)."""

    def __init__(
        self,
        policy: Policy,
        store: MailStore,
        on_message: Callable[[ReceivedMessage], None] | None,
        *,
        stats: RuntimeStats | None = None,
    ):
        self._policy = policy
        self._stats = stats
        #: Where accepted mail goes (the dev server's one :class:`MailStore`).
        self.store = store
        #: The thread that stores it (stopped by the server: :meth:`StoreThread.stop`).
        self.intake = StoreThread(store)
        self._on_message = on_message

    # ---- access from other threads ----

    def received(self) -> list[ReceivedMessage]:
        """Every stored message, read back from the store, oldest first."""
        return received_from(self.store)

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        if not self.store.wait_for_count(count, timeout):
            raise TimeoutError(
                f"expected {count} message(s) within {timeout} s, "
                f"got {self.store.counts()[0]}"
            )
        return self.received()

    # ---- the session's questions (on the server thread) ----

    def auth_refusal(self) -> str | None:
        """Mailpit's chaos strikes AUTH before the exchange, once the
        mechanism is known to be offered."""
        chaos = self._policy.chaos_failure("Authentication")
        return None if chaos is None else chaos.text or ""

    def sender_refusal(self) -> str | None:
        chaos = self._policy.chaos_failure("Sender")
        return None if chaos is None else chaos.text or ""

    def recipient_reply(self, envelope: Envelope, address: str, max_recipients: int) -> str:
        """The reply to ``RCPT TO:<address>``; a ``250`` adds it to ``envelope``."""
        chaos = self._policy.chaos_failure("Recipient")
        if chaos is not None:
            return chaos.text or ""
        if len(envelope.rcpt_tos) >= max_recipients:
            return TOO_MANY_RECIPIENTS
        if self._policy.rejects_recipient(address):
            self._count_rejection()
            return f"550 5.1.1 <{escape_controls(address)}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def vrfy_reply(self, address: str) -> str:
        if self._policy.known_user(address) is not None:
            return f"250 2.1.5 <{escape_controls(address)}>"
        return "252 2.1.5 Cannot VRFY user, but will accept message and attempt delivery"

    # ---- the hand-off at the final dot ----

    def deliver(self, envelope: Envelope, raw: bytes, *, hostname: str, authenticated_as: str | None,
                tls: bool, answer: Callable[[ReplyOverride], None]) -> ReplyOverride | None:
        """Store ``raw``, then call ``answer`` (on the loop) with the reply
        to the final dot: ``250`` once stored, ``552`` (MIME limits) or
        ``451`` (the disk's error).  The failure injected at ``dot`` is
        returned at once instead (nothing stored, ``answer`` not called)."""
        failure = self._policy.injected_failure("dot", hostname)
        if failure is not None:
            self._count_rejection()
            return failure
        sender = envelope.mail_from or ""
        # Parsing a message takes time (its structure, its HTML): off the
        # loop, on the store's own thread (.intake), which answers a batch
        # of arrivals with one wake-up of the loop.
        self.intake.submit(Incoming(
            raw,
            envelope_from="" if sender == "<>" else sender,
            envelope_to=tuple(envelope.rcpt_tos),
            mail_options=tuple(envelope.mail_options),
            authenticated_as=authenticated_as,
            tls=tls,
        ), functools.partial(self._stored, raw, answer))
        return None

    def _stored(self, raw: bytes, answer: Callable[[ReplyOverride], None], outcome: Any) -> None:
        if isinstance(outcome, PartLimitError):
            self._count_rejection()
            answer(ReplyOverride(text=f"552 5.3.4 Message refused: {outcome}", close=False))
            return
        if isinstance(outcome, BaseException):  # disk full, permissions...: tell the client
            log.error("storing a message in %s failed", self.store.directory, exc_info=outcome)
            answer(ReplyOverride(text=f"451 4.3.0 Could not store the message: {escape_controls(str(outcome))}",
                                 close=False))
            return
        record = _record(outcome[1], raw)
        if self._on_message is not None:
            try:
                self._on_message(record)
            except Exception:  # a broken callback must not fail the delivery
                log.exception("on_message callback failed")
        if self._policy.drop_after_data:
            # Stored, but the client never hears so: the classic
            # "did my message go through?" situation it must handle.
            answer(ReplyOverride(text=None, close=True))
            return
        answer(ReplyOverride(text=f"250 2.0.0 OK: queued as {record.maildir_key}", close=False))

    def _count_rejection(self) -> None:
        if self._stats is not None:
            self._stats.rejected()


def _record(envelope: StoredEnvelope, raw: bytes) -> ReceivedMessage:
    return ReceivedMessage(
        envelope_from=envelope.envelope_from,
        envelope_to=envelope.envelope_to,
        raw=raw,
        maildir_key=envelope.maildir_key,
        mail_options=envelope.mail_options,
        authenticated_as=envelope.authenticated_as,
        tls=envelope.tls,
        id=envelope.id,
    )


def received_from(store: MailStore) -> list[ReceivedMessage]:
    """Every message in ``store`` as :class:`ReceivedMessage` records, oldest first."""
    records = []
    for envelope in store.envelopes():
        raw = store.received_bytes(envelope.id)
        if raw is not None:  # None: deleted meanwhile
            records.append(_record(envelope, raw))
    return records
