"""The dev server's side of the AUTH exchanges (RFC 4954), without I/O.

An exchange is a generator: it yields each challenge (the bytes before
base64; the session sends them as ``334 <base64>``), is sent the client's
next line, and returns either the :class:`Credentials` to check or the
reply that ends the exchange.  The rules and replies are aiosmtpd 1.4.6's
for PLAIN and LOGIN, RFC 2195's for CRAM-MD5:

* a lone ``*`` cancels (``501 5.7.0 Auth aborted``); a line that is not
  base64 is ``501 5.5.2 Can't decode base64``;
* PLAIN is ``authzid NUL user NUL password`` (the authzid is ignored),
  as the initial response or after an empty challenge;
* LOGIN asks ``User Name\\0`` (unless the initial response gave it), then
  ``Password\\0``;
* CRAM-MD5 takes no initial response; its challenge is
  ``<random.time@host>`` and the answer ``user SP 32-hex-digit HMAC-MD5``.

>>> exchange = MECHANISMS["PLAIN"](["PLAIN"], "localhost")
>>> next(exchange)
b''
>>> try:
...     exchange.send(b"AGFsaWNlAHMzY3JldA==")
... except StopIteration as done:
...     print(done.value)
Credentials(mechanism='PLAIN', user='alice', secret='s3cret', challenge=b'')
"""

from __future__ import annotations

import binascii
import re
import secrets
import time
from base64 import b64decode
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Credentials", "MECHANISMS", "ABORTED", "Exchange"]

ABORTED = "501 5.7.0 Auth aborted"
_NOT_BASE64 = "501 5.5.2 Can't decode base64"

# RFC 2195: the response is the user name, one space, and the HMAC-MD5 digest
# as 32 hex digits (upper case accepted, as servers commonly do).
_CRAM_MD5_RESPONSE = re.compile(r"(?P<user>.+) (?P<digest>[0-9a-fA-F]{32})", re.DOTALL)


class _Checker(Protocol):
    def password_matches(self, user: str, password: str) -> bool: ...
    def cram_md5_matches(self, user: str, challenge: bytes, digest: str) -> bool: ...


@dataclass(frozen=True)
class Credentials:
    """What a client proved itself with: a password, or (CRAM-MD5) the
    digest of ``challenge``."""

    mechanism: str
    user: str
    secret: str
    challenge: bytes = b""

    def accepted_by(self, policy: _Checker) -> bool:
        if self.mechanism == "CRAM-MD5":
            return policy.cram_md5_matches(self.user, self.challenge, self.secret)
        return policy.password_matches(self.user, self.secret)


#: An exchange: yields challenges, is sent the client's lines, returns
#: :class:`Credentials` or the reply that ends it.
Exchange = Generator[bytes, bytes, "Credentials | str"]


def _text(raw: bytes) -> str:
    # A client's odd bytes stay round-trippable rather than failing.
    return raw.decode("utf-8", "surrogateescape")


def _decoded(line: bytes) -> bytes | str:
    """A client's answer to a challenge, or the reply ending the exchange."""
    blob = line.strip()
    if blob == b"*":
        return ABORTED
    try:
        return b64decode(blob, validate=True)
    except binascii.Error:
        return _NOT_BASE64


def _initial(args: list[str]) -> bytes | str:
    try:
        return b64decode(args[1].encode("utf-8", "surrogateescape"), validate=True)
    except binascii.Error:
        return _NOT_BASE64


def plain(args: list[str], hostname: str) -> Exchange:
    answer = _initial(args) if len(args) > 1 else _decoded((yield b""))
    if isinstance(answer, str):
        return answer
    parts = answer.split(b"\x00")
    if len(parts) != 3:
        return "501 5.5.2 Can't split auth value"
    return Credentials("PLAIN", _text(parts[1]), _text(parts[2]))


def login(args: list[str], hostname: str) -> Exchange:
    user = _initial(args) if len(args) > 1 else _decoded((yield b"User Name\x00"))
    if isinstance(user, str):
        return user
    password = _decoded((yield b"Password\x00"))
    if isinstance(password, str):
        return password
    return Credentials("LOGIN", _text(user), _text(password))


def cram_md5(args: list[str], hostname: str) -> Exchange:
    if len(args) > 1:  # the client cannot know the challenge yet
        return "501 5.5.2 CRAM-MD5 takes no initial response"
    challenge = f"<{secrets.randbits(64)}.{int(time.time())}@{hostname}>".encode()
    answer = _decoded((yield challenge))
    if isinstance(answer, str):
        return answer
    parsed = _CRAM_MD5_RESPONSE.fullmatch(_text(answer))
    if parsed is None:
        return "501 5.5.2 CRAM-MD5 response must be a user name, a space and 32 hex digits"
    return Credentials("CRAM-MD5", parsed["user"], parsed["digest"], challenge)


#: The mechanisms offered, by the name a client gives (case as given: aiosmtpd
#: compares it exactly).
MECHANISMS: dict[str, Callable[[list[str], str], Exchange]] = {
    "CRAM-MD5": cram_md5, "LOGIN": login, "PLAIN": plain,
}
