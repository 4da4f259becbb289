"""The ``email.message.EmailMessage`` a test sends or composes, built from
its headers and text in one call (:func:`email_message`), so that a test
states only what its message holds."""

from __future__ import annotations

import email.message


def email_message(headers: dict[str, str], text: str | None = None, *,
                  html: str | None = None) -> email.message.EmailMessage:
    """A message with ``headers`` in the order given, ``text`` as its body
    (``set_content``: the encoding the email package chooses) and ``html``
    as the alternative part, each only when given."""
    msg = email.message.EmailMessage()
    for name, value in headers.items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg
