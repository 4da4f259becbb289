"""Go's error texts for I/O failures, on Python's own exception classes.

A failed socket call in Go reads as a ``net.OpError``: the operation, the
network, the local and remote addresses, then the cause::

    dial tcp 127.0.0.1:2599: connect: connection refused
    write tcp 127.0.0.1:41234->127.0.0.1:25: write: broken pipe
    read tcp 127.0.0.1:41234->127.0.0.1:25: read: connection reset by peer
    write tcp 127.0.0.1:41234->127.0.0.1:25: use of closed network connection
    read tcp 127.0.0.1:41234->127.0.0.1:25: i/o timeout

:func:`go_error` gives an ``OSError`` that keeps the class, the ``errno``
and the ``strerror`` of the one Python raised (a refused connection is
still a ``ConnectionRefusedError``, a timeout still a ``TimeoutError``, a
certificate failure still an ``ssl.SSLCertVerificationError``) and whose
``str`` is Go's text.  The new error does not chain to the old one, so it
holds no traceback frames (nor the buffers their locals point at).

Rules, as Go's ``net`` and ``crypto/tls`` packages apply them:

* the cause of a failed system call is ``<call>: <errno text>``, the errno
  text being Go's (the C library's, first letter in lower case);
* a deadline that ran out is ``i/o timeout``;
* a connection closed by this side is ``use of closed network connection``
  (bare for a TLS connection, whose ``Close`` Go answers itself);
* TLS failures are not wrapped: ``tls: failed to verify certificate:
  x509: ...``, ``remote error: tls: <alert>``, ``EOF``.

Examples::

    >>> op_text("write", "tcp", "127.0.0.1:41234", "127.0.0.1:25", "write: broken pipe")
    'write tcp 127.0.0.1:41234->127.0.0.1:25: write: broken pipe'
    >>> op_text("dial", "tcp", "", "127.0.0.1:2599", "connect: connection refused")
    'dial tcp 127.0.0.1:2599: connect: connection refused'
    >>> errno_text(errno.ECONNRESET)
    'connection reset by peer'
    >>> err = go_error(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "dial tcp 127.0.0.1:9: x")
    >>> isinstance(err, ConnectionRefusedError), err.errno == errno.ECONNREFUSED, str(err)
    (True, True, 'dial tcp 127.0.0.1:9: x')
"""

from __future__ import annotations

import errno
import os
import socket
import ssl

__all__ = [
    "GoNetError",
    "go_error",
    "op_text",
    "op_error",
    "socket_error",
    "ends_of",
    "errno_text",
    "cause_text",
    "tls_text",
    "CLOSED_TEXT",
    "TIMEOUT_TEXT",
]

CLOSED_TEXT = "use of closed network connection"  # Go's net.ErrClosed
TIMEOUT_TEXT = "i/o timeout"  # Go's os.ErrDeadlineExceeded


class GoNetError(OSError):
    """An ``OSError`` whose text is Go's; mixed into the class Python raised."""

    go_text: str = ""

    def __str__(self) -> str:
        return self.go_text

    def __repr__(self) -> str:
        return "<%s: %s>" % (_standard_base(type(self)).__name__, self.go_text)

    def __reduce__(self):
        return (_rebuild, (_standard_base(type(self)), self.args, self.go_text))


def _rebuild(base: type, args: tuple, text: str) -> OSError:
    return go_error(base(*args), text)


_CLASSES: dict[type, type] = {OSError: GoNetError}
# Attributes some OSError subclasses carry besides args.
_KEPT = ("reason", "library", "verify_code", "verify_message", "bytes_sent", "filename", "filename2")


def _go_class(base: type) -> type:
    cls = _CLASSES.get(base)
    if cls is None:
        cls = type(base.__name__, (GoNetError, base), {"__module__": __name__, "__doc__": base.__doc__})
        _CLASSES[base] = cls
    return cls


def _standard_base(cls: type) -> type:
    # The first class of the standard library's own (OSError, socket.gaierror,
    # ssl.SSLCertVerificationError, ...): ours and callers' have other constructors.
    for base in cls.__mro__:
        if base.__module__ in ("builtins", "socket", "ssl", "_socket", "_ssl") and issubclass(base, OSError):
            return base
    return OSError


def go_error(err: OSError, text: str) -> OSError:
    """An error of ``err``'s class, errno and strerror whose ``str`` is ``text``."""
    new = _go_class(_standard_base(type(err)))(*err.args)
    for name in _KEPT:
        value = getattr(err, name, None)
        if value is not None:
            try:
                setattr(new, name, value)
            except AttributeError:
                pass
    new.go_text = text
    return new


def errno_text(code: int) -> str:
    """Go's text for a system error number (``broken pipe``, ...)."""
    text = os.strerror(code)
    # Go's table is the C library's, first letter lowered unless it starts
    # an acronym ("RFS specific error").
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def op_text(op: str, net: str, source: str, addr: str, cause: str) -> str:
    """Go's ``net.OpError`` text: ``op net [source->]addr: cause``."""
    text = op
    if net:
        text += " " + net
    if source:
        text += " " + source
    if addr:
        text += ("->" if source else " ") + addr
    return text + ": " + cause


def cause_text(err: BaseException, syscall: str) -> str:
    """What Go says caused a failure of ``syscall`` (``write``, ``read``, ``connect``)."""
    if isinstance(err, GoNetError):
        return err.go_text
    if isinstance(err, ssl.SSLError):
        return tls_text(err)
    if isinstance(err, socket.timeout) and err.errno is None:
        return TIMEOUT_TEXT
    if isinstance(err, OSError) and isinstance(err.errno, int):
        return "%s: %s" % (syscall, errno_text(err.errno))
    return str(err)


def op_error(op: str, err: OSError, *, net: str = "tcp", source: str = "", addr: str = "",
             syscall: str | None = None) -> OSError:
    """``err`` with Go's ``net.OpError`` text for operation ``op``.

    TLS failures keep Go's ``crypto/tls`` text without the wrapping, as
    Go's ``tls.Conn`` reports them.
    """
    if isinstance(err, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) and op == "write":
        # OpenSSL's "EOF" for a write to a peer that has gone; Go's tls.Conn
        # passes on the socket's broken pipe.
        return go_error(err, op_text(op, net, source, addr, "write: " + errno_text(errno.EPIPE)))
    if isinstance(err, ssl.SSLError):
        return go_error(err, tls_text(err))
    return go_error(err, op_text(op, net, source, addr, cause_text(err, syscall or op)))


def _spelling(address) -> str:
    # Go's spelling of a socket address: 127.0.0.1:25, [::1]:25, a path.
    if isinstance(address, tuple) and len(address) >= 2:
        host = str(address[0])
        return ("[%s]:%s" if ":" in host else "%s:%s") % (host, address[1])
    if isinstance(address, bytes):
        return address.decode("utf-8", "replace")
    return str(address or "")


def ends_of(sock) -> tuple[str, str, str]:
    """Go's names for a connected socket's network and its two ends.

    Read them while the socket is open (a closed one no longer knows);
    a socket-like object without them gives empty names.
    """
    family = getattr(sock, "family", socket.AF_INET)
    net = "unix" if family == getattr(socket, "AF_UNIX", None) else "tcp"
    ends = []
    for name in ("getsockname", "getpeername"):
        try:
            ends.append(_spelling(getattr(sock, name)()))
        except (OSError, AttributeError, TypeError):
            ends.append("")
    return net, ends[0], ends[1]


def socket_error(op: str, err: OSError, sock) -> OSError:
    """``err`` as Go reports ``op`` on ``sock`` (before ``sock`` is closed)::

        >>> a, b = socket.socketpair()
        >>> str(socket_error("read", ConnectionResetError(errno.ECONNRESET, "x"), a))[:9]
        'read unix'
        >>> a.close(); b.close()
    """
    net, local, remote = ends_of(sock)
    return op_error(op, err, net=net, source=local, addr=remote)


# -- TLS ----------------------------------------------------------------

# OpenSSL's alert reasons (after "..._ALERT_") to Go's alert texts.
_ALERTS = {
    "CLOSE_NOTIFY": "close notify",
    "UNEXPECTED_MESSAGE": "unexpected message",
    "BAD_RECORD_MAC": "bad record MAC",
    "DECRYPTION_FAILED": "decryption failed",
    "RECORD_OVERFLOW": "record overflow",
    "DECOMPRESSION_FAILURE": "decompression failure",
    "HANDSHAKE_FAILURE": "handshake failure",
    "BAD_CERTIFICATE": "bad certificate",
    "UNSUPPORTED_CERTIFICATE": "unsupported certificate",
    "CERTIFICATE_REVOKED": "revoked certificate",
    "CERTIFICATE_EXPIRED": "expired certificate",
    "CERTIFICATE_UNKNOWN": "unknown certificate",
    "ILLEGAL_PARAMETER": "illegal parameter",
    "UNKNOWN_CA": "unknown certificate authority",
    "ACCESS_DENIED": "access denied",
    "DECODE_ERROR": "error decoding message",
    "DECRYPT_ERROR": "error decrypting message",
    "PROTOCOL_VERSION": "protocol version not supported",
    "INSUFFICIENT_SECURITY": "insufficient security level",
    "INTERNAL_ERROR": "internal error",
    "INAPPROPRIATE_FALLBACK": "inappropriate fallback",
    "USER_CANCELLED": "user canceled",
    "NO_RENEGOTIATION": "no renegotiation",
    "MISSING_EXTENSION": "missing extension",
    "UNSUPPORTED_EXTENSION": "unsupported extension",
    "UNRECOGNIZED_NAME": "unrecognized name",
    "CERTIFICATE_REQUIRED": "certificate required",
    "NO_APPLICATION_PROTOCOL": "no application protocol",
}

# What Go's crypto/x509 says for OpenSSL's verification results.
_UNKNOWN_AUTHORITY = "x509: certificate signed by unknown authority"
_X509 = {
    ssl_code: text
    for ssl_code, text in (
        (2, _UNKNOWN_AUTHORITY),  # unable to get issuer certificate
        (18, _UNKNOWN_AUTHORITY),  # self-signed certificate
        (19, _UNKNOWN_AUTHORITY),  # self-signed certificate in chain
        (20, _UNKNOWN_AUTHORITY),  # unable to get local issuer certificate
        (21, _UNKNOWN_AUTHORITY),  # unable to verify the first certificate
        (9, "x509: certificate has expired or is not yet valid: the certificate is not yet valid"),
        (10, "x509: certificate has expired or is not yet valid: the certificate has expired"),
    )
}


def _verify_text(err: ssl.SSLCertVerificationError) -> str:
    code = getattr(err, "verify_code", None)
    message = getattr(err, "verify_message", None) or ""
    if code in _X509:
        cause = _X509[code]
    elif message.startswith(("Hostname mismatch", "IP address mismatch")):
        # Go lists the names the certificate is valid for. OpenSSL does not
        # say; the leaf, when the handshake was watched (tls.HandshakeWatch), does.
        wanted = getattr(err, "wanted_name", None) or (message.split("'")[1] if message.count("'") >= 2 else "")
        leaf = getattr(err, "peer_leaf", None)
        from ..tls import hostname_error_text  # tls imports this module

        cause = (leaf and wanted and hostname_error_text(leaf, wanted)) or (
            "x509: certificate is not valid for " + (wanted or "the requested name"))
    else:
        cause = "x509: " + (message or "certificate verification failed")
    return "tls: failed to verify certificate: " + cause


def tls_text(err: ssl.SSLError) -> str:
    """Go's ``crypto/tls`` text for a failed TLS operation."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return _verify_text(err)
    if isinstance(err, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "EOF"
    reason = getattr(err, "reason", None) or ""
    if "_ALERT_" in reason:
        alert = reason.split("_ALERT_", 1)[1]
        return "remote error: tls: " + _ALERTS.get(alert, alert.lower().replace("_", " "))
    if reason in ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"):
        return "tls: first record does not look like a TLS handshake"
    if reason == "TLSV1_UNRECOGNIZED_NAME":
        return "remote error: tls: unrecognized name"
    text = err.args[1] if len(err.args) > 1 and isinstance(err.args[1], str) else str(err)
    return "tls: " + (reason.lower().replace("_", " ") if reason else text)
