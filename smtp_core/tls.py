"""TLS settings and TLS connection state, in Go's terms.

:class:`TLSConfig` holds the few ``crypto/tls.Config`` settings an SMTP
client needs and builds the ``ssl.SSLContext`` for them.  Verification of
the certificate chain and of the host name is on unless
``insecure_skip_verify`` is set.  As in Go, a configuration with neither a
server name nor ``insecure_skip_verify`` cannot start a handshake.

:class:`ConnectionState` reports a TLS connection with Go's field names and
numbering (``Version`` 0x0304 is TLS 1.3; 0 means no TLS).

A file the settings name that cannot be used fails with the path in the
text, as Go's ``os.ReadFile`` and ``tls.LoadX509KeyPair`` put it
(``open /etc/ca.pem: no such file or directory``; an ``OSError`` with the
errno and ``filename``); contents that hold no certificate or key read as
Go's ``crypto/tls`` texts, naming the file (a :class:`TLSSetupError`).

Example::

    >>> cfg = TLSConfig(server_name="mx.example.com")
    >>> cfg.sni_name()
    'mx.example.com'
    >>> TLSConfig(server_name="192.0.2.1").sni_name()   # no SNI for an address
    ''
"""

from __future__ import annotations

import base64
import binascii
import errno
import ipaddress
import os
import re
import ssl
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Sequence

from .gocompat.goformat import go_bytes, go_quote
from .errors import TLSSetupError
from .gocompat.neterror import errno_text, go_error

__all__ = ["TLSConfig", "ConnectionState", "Certificate", "HandshakeWatch", "check_client_name", "VERSIONS", "NO_SERVER_NAME_TEXT",
           "NO_VERSIONS_TEXT", "sni_name", "version_bounds", "wrap_client", "hostname_error_text",
           "x509_key_pair", "load_x509_key_pair"]

#: Go's protocol numbers for the names the ssl module uses.
VERSIONS = {"SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
_SSL_VERSIONS = {
    0x0301: ssl.TLSVersion.TLSv1,
    0x0302: ssl.TLSVersion.TLSv1_1,
    0x0303: ssl.TLSVersion.TLSv1_2,
    0x0304: ssl.TLSVersion.TLSv1_3,
}

NO_SERVER_NAME_TEXT = "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config"
NO_VERSIONS_TEXT = "tls: no supported versions satisfy MinVersion and MaxVersion"
BAD_NEXT_PROTOS_TEXT = "tls: invalid NextProtos value"
NEXT_PROTOS_TOO_LARGE_TEXT = "tls: NextProtos values too large"
#: Beyond Go: the ssl module offers ASCII protocol names only.
NON_ASCII_NEXT_PROTOS_TEXT = "tls: NextProtos value is not ASCII (the ssl module cannot offer it)"


def version_bounds(min_version: int | None, max_version: int | None) -> tuple[int, int] | None:
    """The lowest and highest versions Go's client would offer, or None for none.

    Go (``crypto/tls``, ``Config.supportedVersions``) offers each of TLS 1.0
    to 1.3 that is at least ``MinVersion`` (TLS 1.2 when it is 0) and at
    most ``MaxVersion`` (no bound when 0); any number is accepted.

    >>> [hex(v) for v in version_bounds(0x0300, None)]
    ['0x301', '0x304']
    >>> version_bounds(0x0305, None) is None
    True
    """
    offered = [v for v in sorted(_SSL_VERSIONS)
               if v >= (min_version or 0x0303) and (not max_version or v <= max_version)]
    return (offered[0], offered[-1]) if offered else None

PathOrPem = str | bytes | os.PathLike[str]


def sni_name(server_name: str) -> str:
    """The name that goes into SNI: none for an IP literal, no trailing dots."""
    host = server_name
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if "%" in host[1:]:
        host = host[: host.rindex("%")]
    try:
        ipaddress.ip_address(host)
        return ""
    except ValueError:
        pass
    return server_name.rstrip(".")


@dataclass
class TLSConfig:
    """Client TLS settings, mirroring the ``crypto/tls.Config`` fields SMTP needs.

    ``root_cas``: ``None`` for the system's trust store (which honours
    ``SSL_CERT_FILE``), a path to a PEM file or directory, or PEM bytes.
    ``min_version``/``max_version``: Go numbers (``0x0303``) or ``None``.
    ``alpn``: protocols to offer.  ``client_cert``/``client_key``: paths.
    """

    server_name: str = ""
    insecure_skip_verify: bool = False
    root_cas: PathOrPem | None = None
    min_version: int | None = None
    max_version: int | None = None
    alpn: Sequence[str] = field(default_factory=tuple)
    client_cert: str | None = None
    client_key: str | None = None
    #: Go's ``Certificates``: key pairs from :func:`x509_key_pair`; the first is offered.
    certificates: Sequence["Certificate"] = field(default_factory=tuple)

    def sni_name(self) -> str:
        return sni_name(self.server_name)

    def handshake_refusal(self) -> str | None:
        """Go's text when no handshake can start with these settings, else None.

        The checks and their order are Go's (``makeClientHello``).
        """
        if not self.server_name and not self.insecure_skip_verify:
            return NO_SERVER_NAME_TEXT
        protos = [go_bytes(p) for p in self.alpn]
        if any(not 0 < len(p) <= 255 for p in protos):
            return BAD_NEXT_PROTOS_TEXT
        if sum(1 + len(p) for p in protos) > 0xFFFF:
            return NEXT_PROTOS_TOO_LARGE_TEXT
        if version_bounds(self.min_version, self.max_version) is None:
            return NO_VERSIONS_TEXT
        if not all(p.isascii() for p in protos):
            return NON_ASCII_NEXT_PROTOS_TEXT
        return None

    def check(self) -> None:
        """Raise Go's error when no handshake can start with these settings."""
        refusal = self.handshake_refusal()
        if refusal:
            raise TLSSetupError(refusal)

    def context(self) -> ssl.SSLContext:
        """A fresh client ``SSLContext`` for these settings."""
        try:
            return self._new_context()
        except ValueError as err:  # NUL or a lone surrogate in a RootCAs path, non-ASCII PEM
            what = "PEM data" if isinstance(self.root_cas, (bytes, bytearray)) else repr(self.root_cas)
            raise TLSSetupError("tls: cannot load RootCAs %s: %s" % (what, err)) from None

    def _new_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _ENGINE_CONTEXTS.add(ctx)  # see HandshakeWatch
        if self.insecure_skip_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.root_cas is None:
            ctx.load_default_certs()
        else:
            _load_roots(ctx, self.root_cas)
        bounds = version_bounds(self.min_version, self.max_version)
        if bounds is not None:  # else handshake_refusal says why
            with warnings.catch_warnings():
                # TLS 1.0 and 1.1 are deprecated in the ssl module; Go still
                # offers them when MinVersion asks, and so does this.
                warnings.simplefilter("ignore", DeprecationWarning)
                if self.min_version:
                    ctx.minimum_version = _SSL_VERSIONS[bounds[0]]
                if self.max_version:
                    ctx.maximum_version = _SSL_VERSIONS[bounds[1]]
            if bounds[0] < 0x0303:
                # OpenSSL's default security level has no cipher for TLS 1.0
                # and 1.1, so it would fail before sending anything ("no
                # ciphers available"); Go offers them when asked, and the
                # server decides.
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        if self.alpn:
            ctx.set_alpn_protocols(list(self.alpn))
        if self.client_cert:
            _load_key_pair(ctx, self.client_cert, self.client_key)
        elif self.certificates:
            self.certificates[0].load_into(ctx)
        return ctx


def _open_error(path: str, err: OSError) -> OSError:
    # Go's *fs.PathError text: "open <path>: <errno text>".
    cause = errno_text(err.errno) if isinstance(err.errno, int) else str(err)
    return go_error(type(err)(err.errno, err.strerror, path), "open %s: %s" % (path, cause))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        failure = _open_error(path, err)
    raise failure


def _read_as_go(path: str) -> bytes:
    """Go's ``os.ReadFile``: the bytes the path stands for (a lone surrogate
    included); a NUL fails with EINVAL, as Go's open does before any system call."""
    try:
        with open(go_bytes(path), "rb") as f:
            return f.read()
    except OSError as err:
        failure = _open_error(path, err)
    except ValueError:
        failure = _open_error(path, OSError(errno.EINVAL, os.strerror(errno.EINVAL)))
    raise failure


def _load_roots(ctx: ssl.SSLContext, roots: PathOrPem) -> None:
    if isinstance(roots, (bytes, bytearray)):
        pem, where = bytes(roots), "RootCAs data"
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise TLSSetupError("tls: no certificate found in %s" % where)
        try:
            ctx.load_verify_locations(cadata=pem.decode("ascii"))
        except (ssl.SSLError, UnicodeDecodeError) as err:
            failure = TLSSetupError("tls: cannot use %s: %s" % (where, _reason(err)))
        else:
            return
        raise failure
    path = os.fspath(roots)
    if os.path.isdir(path):
        ctx.load_verify_locations(capath=path)  # read lazily, certificate by certificate
        return
    pem = _read(path)  # the path in the error, not only the errno
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise TLSSetupError("tls: no certificate found in %s" % path)
    try:
        ctx.load_verify_locations(cafile=path)
    except ssl.SSLError as err:
        failure = TLSSetupError("tls: cannot use %s: %s" % (path, _reason(err)))
    else:
        return
    raise failure


def _load_key_pair(ctx: ssl.SSLContext, cert: str, key: str | None) -> None:
    # Go's tls.LoadX509KeyPair texts, each naming the file it is about.
    cert_pem = _read(cert)
    key_pem = _read(key) if key else cert_pem
    if b"-----BEGIN" not in cert_pem:
        raise TLSSetupError("tls: failed to find any PEM data in certificate input (%s)" % cert)
    if b"PRIVATE KEY-----" not in key_pem:
        raise TLSSetupError("tls: failed to find any PEM data in key input (%s)" % (key or cert))
    try:
        ctx.load_cert_chain(cert, key)
    except ssl.SSLError as err:
        if getattr(err, "reason", "") == "KEY_VALUES_MISMATCH":
            failure = TLSSetupError("tls: private key does not match public key (%s, %s)" % (cert, key or cert))
        else:
            failure = TLSSetupError("tls: cannot use %s: %s" % (", ".join(filter(None, (cert, key))), _reason(err)))
    except OSError as err:  # e.g. a key file with a passphrase and no way to ask for it
        failure = TLSSetupError("tls: cannot use %s: %s" % (key or cert, err.strerror or err))
    else:
        return
    raise failure


def _reason(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    return reason.lower().replace("_", " ") if reason else str(err)


@dataclass
class ConnectionState:
    """A TLS connection's state with Go's field names.

    The zero value (``ConnectionState()``) describes a connection without TLS.
    """

    Version: int = 0
    HandshakeComplete: bool = False
    ServerName: str = ""
    CipherSuite: int = 0
    NegotiatedProtocol: str = ""
    PeerCertificates: list = field(default_factory=list)

    # Pythonic aliases
    version = property(lambda self: self.Version)
    handshake_complete = property(lambda self: self.HandshakeComplete)
    server_name = property(lambda self: self.ServerName)
    cipher_suite = property(lambda self: self.CipherSuite)
    negotiated_protocol = property(lambda self: self.NegotiatedProtocol)
    peer_certificates = property(lambda self: self.PeerCertificates)

    @classmethod
    def of(cls, sock: ssl.SSLSocket, server_name: str) -> "ConnectionState":
        """The state of a socket whose handshake completed."""
        cipher = sock.cipher()
        suite = 0
        if cipher:
            for known in sock.context.get_ciphers():
                if known["name"] == cipher[0]:
                    suite = known["id"] & 0xFFFF
                    break
        chain_getter = getattr(sock, "get_verified_chain", None)
        certs: list = []
        if chain_getter is not None:
            try:
                certs = [bytes(c) if isinstance(c, (bytes, bytearray)) else c.public_bytes(ssl._ssl.ENCODING_DER)
                         for c in chain_getter()]
            except (ssl.SSLError, AttributeError, ValueError):
                certs = []
        if not certs:
            leaf = sock.getpeercert(binary_form=True)
            certs = [leaf] if leaf else []
        return cls(
            Version=VERSIONS.get(sock.version() or "", 0),
            HandshakeComplete=True,
            ServerName=server_name,
            CipherSuite=suite,
            NegotiatedProtocol=sock.selected_alpn_protocol() or "",
            PeerCertificates=certs,
        )


# -- the client handshake, shared by STARTTLS and implicit TLS ----------

def check_client_name(ctx: ssl.SSLContext, server_name: str) -> None:
    """Refuse, as :class:`TLSSetupError`, a server name the handshake cannot
    use with ``ctx``: checked before the ssl module is given the connection
    (by :func:`wrap_client`, and by the asyncio driver before ``start_tls``)."""
    if ctx.check_hostname and not server_name:
        raise TLSSetupError(NO_SERVER_NAME_TEXT)
    if "\x00" in server_name:
        raise TLSSetupError("tls: server name must not contain NUL")
    try:
        server_name.encode("idna")  # what ssl will do; its error text varies by Python version
    except UnicodeError:
        raise TLSSetupError("tls: server name %s is not a host name the ssl module can encode"
                            % go_quote(server_name)) from None


def wrap_client(sock, ctx: ssl.SSLContext, server_name: str) -> ssl.SSLSocket:
    """``sock`` wrapped for a client handshake to ``server_name`` (not started yet).

    The ssl module takes the socket over before it checks the name, and
    leaks it when the name fails: the name is checked first, as ssl will.
    Raises :class:`TLSSetupError`.
    """
    check_client_name(ctx, server_name)
    try:
        return ctx.wrap_socket(sock, server_hostname=server_name or None, do_handshake_on_connect=False)
    except ValueError as err:  # e.g. a server name the ssl module rejects
        raise TLSSetupError("tls: " + str(err)) from None


#: The contexts :meth:`TLSConfig.context` made: the only ones a
#: :class:`HandshakeWatch` may watch (held weakly: they die with their users).
_ENGINE_CONTEXTS: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()


class HandshakeWatch:
    """What a handshake showed before it ended: the version and the server's leaf.

    Go reports the negotiated version even when the handshake fails later,
    and names the certificate's names when the host name does not match;
    the ssl module tells neither after a failure, so the handshake messages
    are watched as they go by.  Only on contexts the engine made itself
    (:data:`_ENGINE_CONTEXTS`): a caller's context is never touched.
    """

    def __init__(self) -> None:
        self.version = 0
        self.leaf: bytes | None = None

    def start(self, ctx: ssl.SSLContext) -> bool:
        """Watch the next socket wrapped by ``ctx`` (call it before the wrap)."""
        if ctx not in _ENGINE_CONTEXTS or not hasattr(ctx, "_msg_callback"):
            return False
        ctx._msg_callback = self._seen  # type: ignore[attr-defined]
        return True

    @staticmethod
    def stop(ctx: ssl.SSLContext) -> None:
        ctx._msg_callback = None  # type: ignore[attr-defined]

    def _seen(self, conn, direction, version, content_type, msg_type, data) -> None:
        if direction != "read":
            return
        if msg_type == 2:  # ServerHello
            self.version = int(version)
        elif msg_type == 11 and self.leaf is None:  # Certificate
            self.leaf = _first_certificate(bytes(data), int(version) >= 0x0304)

    def explain(self, err: BaseException, server_name: str) -> BaseException:
        """``err`` with the leaf and the name attached, for Go's host-name text."""
        if isinstance(err, ssl.SSLCertVerificationError) and self.leaf:
            err.peer_leaf = self.leaf  # type: ignore[attr-defined]
            err.wanted_name = server_name  # type: ignore[attr-defined]
        return err


def _first_certificate(msg: bytes, tls13: bool) -> bytes | None:
    # A Certificate handshake message: type, length, [TLS 1.3: context],
    # list length, then each entry's 3-byte length and DER.
    at = 4
    if tls13:
        at += 1 + msg[at] if len(msg) > at else 0
    at += 3
    if len(msg) < at + 3:
        return None
    size = int.from_bytes(msg[at:at + 3], "big")
    der = msg[at + 3:at + 3 + size]
    return der if len(der) == size and size else None


def hostname_error_text(leaf_der: bytes, host: str) -> str | None:
    """Go's ``x509.HostnameError`` text for a leaf that does not carry ``host``.

    >>> hostname_error_text(b"not DER", "mx.example") is None
    True
    """
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        cert = x509.load_der_x509_certificate(leaf_der)
        try:
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            sans = None
        common = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    except (ValueError, TypeError):
        return None
    dns = sans.get_values_for_type(x509.DNSName) if sans is not None else []
    ips = sans.get_values_for_type(x509.IPAddress) if sans is not None else []
    if sans is None and common and _matches(common[-1], host):
        return "x509: certificate relies on legacy Common Name field, use SANs instead"
    candidate = host[1:-1] if len(host) >= 3 and host[0] == "[" and host[-1] == "]" else host
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0] if candidate == host else candidate)
        is_ip = True
    except ValueError:
        is_ip = False
    if is_ip:
        if not ips:
            return "x509: cannot validate certificate for %s because it doesn't contain any IP SANs" % host
        valid = ", ".join(str(ip) for ip in ips)
    else:
        valid = ", ".join(dns)
    if not valid:
        return "x509: certificate is not valid for any names, but wanted to match " + host
    return "x509: certificate is valid for %s, not %s" % (valid, host)


def _matches(pattern: str, host: str) -> bool:
    # Go's matchHostnames, enough to tell a legacy Common Name that would match.
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if not pattern or not host:
        return False
    p, h = pattern.split("."), host.split(".")
    return len(p) == len(h) and all(a == b or (i == 0 and a == "*") for i, (a, b) in enumerate(zip(p, h)))


# -- key pairs: Go's tls.X509KeyPair and tls.LoadX509KeyPair -------------

@dataclass(frozen=True)
class Certificate:
    """Go's ``tls.Certificate``: a chain (DER, leaf first) and its private key (PEM)."""

    chain: tuple
    key_pem: bytes = field(repr=False)

    @property
    def leaf(self) -> bytes:
        return self.chain[0]

    def load_into(self, ctx: ssl.SSLContext) -> None:
        """Offer this key pair on ``ctx`` (the ssl module reads key pairs from files only)."""
        import tempfile

        pem = b"".join(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
                       for der in self.chain)
        with tempfile.TemporaryDirectory(prefix="gostd-keypair-") as folder:
            path = os.path.join(folder, "pair.pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem + self.key_pem)
            ctx.load_cert_chain(path)


_PEM_BLOCK = re.compile(rb"-----BEGIN ([^\r\n]*?)-----[ \t]*\r?\n(.*?)-----END \1-----", re.S)


def _pem_blocks(data: bytes):
    """``(type, der, text)`` of each PEM block, as Go's ``pem.Decode`` finds them in turn."""
    at = 0
    while True:
        m = _PEM_BLOCK.search(data, at)
        if m is None:
            return
        at = m.end()
        body = m.group(2)
        if b":" in body.split(b"\n\n", 1)[0] and b"\n\n" in body:
            body = body.split(b"\n\n", 1)[1]  # headers before a blank line
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            continue  # Go skips a block whose body does not decode
        yield m.group(1).decode("latin-1"), der, data[m.start():m.end()]


def _go_list(items) -> str:
    return "[" + " ".join(items) + "]"


def x509_key_pair(cert_pem: bytes, key_pem: bytes) -> Certificate:
    """Go's ``tls.X509KeyPair``: a key pair from PEM data, or Go's error (a TLSSetupError)."""
    chain, skipped = [], []
    for kind, der, _ in _pem_blocks(cert_pem):
        (chain.append(der) if kind == "CERTIFICATE" else skipped.append(kind))
    if not chain:
        if not skipped:
            raise TLSSetupError("tls: failed to find any PEM data in certificate input")
        if len(skipped) == 1 and skipped[0].endswith("PRIVATE KEY"):
            raise TLSSetupError("tls: failed to find certificate PEM data in certificate input, but did find a "
                                "private key; PEM inputs may have been switched")
        raise TLSSetupError('tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping '
                            "PEM blocks of the following types: " + _go_list(skipped))
    skipped, key = [], None
    for kind, der, text in _pem_blocks(key_pem):
        if kind == "PRIVATE KEY" or kind.endswith(" PRIVATE KEY"):
            key = (der, text)
            break
        skipped.append(kind)
    if key is None:
        if not skipped:
            raise TLSSetupError("tls: failed to find any PEM data in key input")
        if skipped == ["CERTIFICATE"]:
            raise TLSSetupError("tls: found a certificate rather than a key in the PEM for the private key")
        raise TLSSetupError('tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after '
                            "skipping PEM blocks of the following types: " + _go_list(skipped))
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        public = x509.load_der_x509_certificate(chain[0]).public_key()
    except ValueError:
        raise TLSSetupError("x509: malformed certificate") from None
    try:
        private = serialization.load_der_private_key(key[0], password=None)
    except (ValueError, TypeError):
        raise TLSSetupError("tls: failed to parse private key") from None
    if type(private.public_key()) is not type(public):
        raise TLSSetupError("tls: private key type does not match public key type")
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(*raw) != public.public_bytes(*raw):
        raise TLSSetupError("tls: private key does not match public key")
    key_text = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    return Certificate(tuple(chain), key_text)


def load_x509_key_pair(cert_file: str, key_file: str) -> Certificate:
    """Go's ``tls.LoadX509KeyPair``: the files read (``open x: no such file or directory``), then parsed."""
    return x509_key_pair(_read_as_go(cert_file), _read_as_go(key_file))
