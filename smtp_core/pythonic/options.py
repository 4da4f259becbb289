"""The send keywords, declared once: :class:`Options` and :func:`takes_options`.

Rules of this module:

* **One declaration.**  Every keyword option of :func:`~smtp_core.connect`,
  :func:`~smtp_core.dial_tls`, :func:`~smtp_core.prepare`,
  :func:`~smtp_core.send` and :func:`~smtp_core.send_many` (and of their
  asyncio twins in :mod:`smtp_core.aio`) is one field of :class:`Options`:
  its name, type, default, a line of documentation, and the functions
  that take it.  Adding an option is one edit here.
* **Signatures come from it.**  The public functions take ``**options``;
  :func:`takes_options` gives each the keyword-only parameters the
  declaration lists for it (``inspect.signature``, ``help()``), in the
  declaration's order, with their types and defaults.
* **A misspelt keyword is a TypeError** naming it (and the option it was
  probably meant to be), as Python's own for a wrong keyword, before
  anything else is checked: nothing is dropped silently.
* The values are checked where they are used; only ``tls`` is checked
  here (:func:`~smtp_core.pythonic.tlspolicy.check_policy`), so a bad
  policy costs no connection.

>>> Options.taking("send", {"tls": "none", "pipelining": False}).pipelining
False
>>> Options.taking("send", {"tsl": "none"})
Traceback (most recent call last):
TypeError: send() got an unexpected keyword argument 'tsl' (did you mean 'tls'?)
>>> Options.taking("prepare", {"quit": True})
Traceback (most recent call last):
TypeError: prepare() got an unexpected keyword argument 'quit'
"""

from __future__ import annotations

import difflib
import inspect
import ssl
from dataclasses import dataclass, field, fields
from typing import Any, Sequence

from ..protocol.auth import Auth
from ..tls import TLSConfig
from .timeouts import TimeoutSpec
from .tlspolicy import check_policy

__all__ = ["Options", "takes_options", "FUNCTIONS"]

#: The functions that take keyword options, in the order the docs list them.
FUNCTIONS = ("connect", "dial_tls", "prepare", "send", "send_many")

_ALL = FUNCTIONS
_OPENING = ("connect", "dial_tls", "send", "send_many")  # may open the connection themselves
_POLICY = ("connect", "prepare", "send", "send_many")  # dial_tls's policy is always "implicit"
_SENDING = ("send", "send_many")


def _option(default: Any, doc: str, taken_by: tuple[str, ...]):
    return field(default=default, metadata={"doc": doc, "taken_by": taken_by})


@dataclass(frozen=True)
class Options:
    """How to connect and send: every keyword option of the Pythonic layer
    (see the module's rules; each field's ``metadata`` holds its ``doc``
    and the functions it is ``taken_by``)."""

    tls: str = _option("opportunistic", "the TLS policy, one of TLS_POLICIES", _POLICY)
    tls_config: TLSConfig | ssl.SSLContext | None = _option(
        None, "a TLSConfig (CA file, client certificate, ...) or a ready ssl.SSLContext", _ALL)
    verify: bool = _option(True, "False turns certificate and host-name checks off", _ALL)
    server_name: str | None = _option(
        None, "the name the certificate must carry, sent in SNI and given to authentication", _ALL)
    auth: Auth | Sequence[Auth] | None = _option(
        None, "an Auth, or a list of them of which the strongest offered is used", _ALL)
    local_name: str | None = _option(None, "the EHLO name (localhost by default, as in Go)", _ALL)
    timeout: TimeoutSpec = _option(
        None, "None for RFC5321_TIMEOUTS, a number for every step, or a Timeouts", _ALL)
    connect_timeout: float | None = _option(None, "the bound of the TCP connection", _OPENING)
    quit: bool | None = _option(
        None, "send QUIT at the end (None: only when the call opened the connection)", _SENDING)
    pipelining: bool = _option(True, "False waits for each reply even when PIPELINING is offered", _SENDING)
    redact: bool = _option(True, "False shows credentials in the wire log", _OPENING)
    allow_plaintext_auth: bool = _option(
        False, "allow AUTH over an unencrypted connection to a name that is not local", _POLICY)
    normalize_line_ends: bool = _option(
        True, "False sends bare CRs as Go's DotWriter does (every bare CR and LF becomes CRLF otherwise)",
        _SENDING)
    dkim: Any = _option(None, "sign as the message goes: a map of dkim_sign's arguments, a DKIMSigner, "
                              "or a list of them", _SENDING)

    def __post_init__(self) -> None:
        check_policy(self.tls)

    @classmethod
    def taking(cls, function: str, given: dict, **fixed) -> "Options":
        """The options of a call of ``function`` with the keywords ``given``
        (``fixed``: the function's own, such as ``dial_tls``'s policy)."""
        accepted = _TAKEN[function]
        for name in given:
            if name not in accepted:
                close = difflib.get_close_matches(name, accepted, n=1)
                hint = " (did you mean %r?)" % close[0] if close else ""
                raise TypeError("%s() got an unexpected keyword argument %r%s" % (function, name, hint))
        return cls(**given, **fixed)


_FIELDS = fields(Options)
_TAKEN: dict[str, tuple[str, ...]] = {
    function: tuple(f.name for f in _FIELDS if function in f.metadata["taken_by"]) for function in FUNCTIONS}


def takes_options(function):
    """Give ``function`` (whose last parameter is ``**options``) the
    keyword-only parameters :class:`Options` declares for it."""
    signature = inspect.signature(function)
    head = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    keywords = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
                for f in _FIELDS if function.__name__ in f.metadata["taken_by"]]
    function.__signature__ = signature.replace(parameters=head + keywords)
    return function
