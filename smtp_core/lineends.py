"""The old name of :mod:`smtp_core.protocol.lineends`, kept because users call it.

The Go namespace's documentation and ``docs/deviations.md`` tell callers
to pass an untrusted body through ``smtp_core.lineends.crlf`` before a
Go-named send, so this path stays; the rules live in
:mod:`smtp_core.protocol.lineends`.

>>> crlf(b"a\\nb") == __import__("smtp_core.protocol.lineends", fromlist=["crlf"]).crlf(b"a\\nb")
True
"""

from .protocol.lineends import LineEnds, crlf, is_crlf

__all__ = ["crlf", "is_crlf", "LineEnds"]
