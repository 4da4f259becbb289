"""DKIM signatures (RFC 6376; ed25519-sha256 from RFC 8463), made by dkimpy.

:func:`dkim_sign` returns the message's wire bytes with a
``DKIM-Signature`` header in front; :class:`DKIMSigner` loads and checks a
key once and signs many messages (``send(..., dkim=...)`` builds one).
dkimpy computes every hash and signature; this module only gathers the
inputs and checks them before anything is sent:

* ``domain`` and ``selector``: DNS labels (the public key is published as
  a TXT record at ``<selector>._domainkey.<domain>``);
* ``private_key``: a path to a key file, or the key itself (bytes, or a
  string holding a PEM block); for rsa-sha256 a PEM RSA key (PKCS#1 or
  PKCS#8, as ``openssl genrsa`` or dkimpy's ``dknewkey`` write it), for
  ed25519-sha256 dkimpy's base64 seed (``dknewkey --ktype ed25519``) or a
  PKCS#8 PEM key (``openssl genpkey -algorithm ed25519``);
* ``headers``: the header names to sign, dkimpy's recommended set by
  default; ``from`` must be among them;
* ``algorithm``: ``"rsa-sha256"`` (default) or ``"ed25519-sha256"``.

Every signed header is **oversigned** (RFC 6376, sections 5.4.2 and 8.15):
``h=`` names it once more than the message has instances of it, so a
header of that name added anywhere after signing breaks the signature
instead of being shown beside, or instead of, the signed one.  By default
the fields a receiver shows or acts on (:data:`OVERSIGNED`: From, To, Cc,
Subject, Date, Message-ID, Reply-To, the MIME headers, ...) are signed even
when absent, so none can be added; with an explicit ``headers`` list
exactly those names are signed, each oversigned.

>>> signed_fields(b"From: a@example.com\\r\\nTo: b@example.com\\r\\nTo: c@example.com", ["From", "to"])
['from', 'from', 'to', 'to', 'to']

A key that does not load, a bad domain or a header list without From
raises :class:`DKIMError` when the signer is made, naming what is wrong
but never repeating key material: a string that is neither a PEM block nor
a readable file is not echoed, since it may be the key itself.
What is signed is exactly what goes on the wire: an ``EmailMessage`` is
serialised by :func:`~smtp_core.mail.wireform.wire_bytes` (Bcc and Resent-Bcc
removed), and bare LFs in bytes become CRLF, as the DATA encoder would
make them.
"""

from __future__ import annotations

import base64
import binascii
import collections
import email.message
import hashlib
import os
import re
import threading
import time
from typing import Any, Hashable, Iterable

from ..errors import DKIMError
from .options import read_options
from .wireform import wire_bytes

__all__ = ["ALGORITHMS", "OVERSIGNED", "DKIMSigner", "dkim_sign", "signed_fields", "signers",
           "sign_all", "BodyHash", "sign_stream"]

ALGORITHMS = ("rsa-sha256", "ed25519-sha256")
#: Fields a receiver shows or acts on: by default signed even when absent,
#: so that none can be added after signing.
OVERSIGNED = ("from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to",
              "references", "mime-version", "content-type", "content-transfer-encoding")
OPTIONS = ("domain", "selector", "private-key", "headers", "algorithm")

_LABELS = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\Z")
# PKCS#8 wrapping of an Ed25519 seed (RFC 8410, section 7): this prefix, then the 32 bytes.
_ED25519_PKCS8 = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BODY = re.compile(rb"-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:", re.MULTILINE)


def _key_material(private_key: Any) -> tuple[bytes, str]:
    """The key's bytes and how to name it in errors (its path, or "the key").

    A string that does not open is not repeated: it may be the key itself
    (a base64 seed, a PEM body without its lines) rather than a path.
    """
    if isinstance(private_key, (bytes, bytearray, memoryview)):
        return bytes(private_key), "the private key"
    if isinstance(private_key, str) and "-----BEGIN" in private_key:
        return private_key.encode("ascii", "replace"), "the private key"
    if isinstance(private_key, (str, os.PathLike)):
        path = os.fspath(private_key)
        try:
            with open(path, "rb") as f:
                return f.read(), "the private key file %r" % path
        except (OSError, ValueError) as err:  # ValueError: a NUL in the string
            reason = getattr(err, "strerror", None) or "not a file name"
            if isinstance(private_key, str):
                raise DKIMError("dkim: private_key is neither a PEM block nor a file that can be read (%s); "
                                "give a key as bytes or a whole PEM block, a file as its path" % reason) from None
            raise DKIMError("dkim: cannot read the private key file %r: %s" % (path, reason)) from None
    raise DKIMError("dkim: private_key must be a path, bytes or a PEM string, got %s" % type(private_key).__name__)


def _ed25519_seed(material: bytes, named: str) -> bytes:
    """dkimpy's form of an Ed25519 key (the base64 seed) from either accepted form."""
    pem = _PEM_BODY.search(material)
    if pem is None:
        return b"".join(material.split())
    try:
        der = base64.b64decode(b"".join(pem.group(2).split()), validate=True)
    except binascii.Error:
        der = b""
    if len(der) != 48 or not der.startswith(_ED25519_PKCS8):
        raise DKIMError("dkim: %s is not an Ed25519 key (expected a PKCS#8 Ed25519 PEM or a base64 seed)" % named)
    return base64.b64encode(der[16:])


def signed_fields(head: bytes, headers: Iterable[str] | None = None) -> list[str]:
    """The ``h=`` list for a message whose header section is ``head``: each
    name once per instance in ``head`` and once more (oversigned).  Without
    ``headers``, dkimpy's recommended fields present in ``head`` and all of
    :data:`OVERSIGNED`."""
    present = [name.decode("ascii").lower() for name in _FIELD_NAME.findall(head)]
    if headers is None:
        import dkim

        recommended = {name.decode("ascii") for name in dkim.DKIM.SHOULD}
        headers = [name for name in present if name in recommended] + list(OVERSIGNED)
    names = dict.fromkeys(name.lower() for name in headers)
    return [name for name in names for _ in range(present.count(name) + 1)]


class DKIMSigner:
    """Signs messages for one domain and selector with one key, checked up front."""

    def __init__(self, domain: str, selector: str, private_key: Any, headers: Iterable[str] | None = None,
                 algorithm: str = "rsa-sha256") -> None:
        if not isinstance(domain, str) or not _LABELS.match(domain):
            raise DKIMError("dkim: domain %r is not a DNS name" % (domain,))
        if not isinstance(selector, str) or not _LABELS.match(selector):
            raise DKIMError("dkim: selector %r is not a DNS label" % (selector,))
        if algorithm not in ALGORITHMS:
            raise DKIMError("dkim: algorithm %r is not one of %s" % (algorithm, ", ".join(ALGORITHMS)))
        if headers is not None:
            if isinstance(headers, str):
                raise DKIMError("dkim: headers must be a list of header names, got a string")
            headers = [h for h in headers]
            bad = [h for h in headers if not isinstance(h, str) or not re.fullmatch(r"[!-9;-~]+", h)]
            if bad:
                raise DKIMError("dkim: %r is not a header name" % (bad[0],))
            if "from" not in [h.lower() for h in headers]:
                raise DKIMError("dkim: headers must include From (RFC 6376, 5.4)")
        material, named = _key_material(private_key)
        if algorithm == "ed25519-sha256":
            material = _ed25519_seed(material, named)
        else:
            material = material.replace(b"\r\n", b"\n")  # dkimpy finds the PEM body between LF lines
        self.domain, self.selector, self.algorithm = domain, selector, algorithm
        self.headers = headers
        self._key = material
        try:
            self._signature(b"From: check@" + domain.encode() + b"\r\n\r\n")
        except DKIMError:
            raise
        except Exception as err:  # dkimpy's KeyFormatError, nacl's errors, asn1 errors
            # None of these texts holds key material (tests/mail/test_dkim.py tries each form).
            detail = " ".join(str(err).split())  # dkimpy's texts span lines
            raise DKIMError("dkim: %s does not load as an %s key: %s" % (named, algorithm, detail)) from None

    @classmethod
    def from_spec(cls, spec: Any) -> "DKIMSigner":
        """A signer from a map (keywords or strings, ``-`` or ``_``), or ``spec`` itself if it is one."""
        if isinstance(spec, cls):
            return spec
        options = read_options(spec, OPTIONS, "dkim", DKIMError)
        missing = [name for name in ("domain", "selector", "private-key") if name not in options]
        if missing:
            raise DKIMError("dkim: :%s is required" % missing[0])
        return cls(options["domain"], options["selector"], options["private-key"],
                   headers=options.get("headers"), algorithm=options.get("algorithm", "rsa-sha256"))

    def _signature(self, data: bytes) -> bytes:
        # dkimpy pulls in dnspython (about 70 ms): imported on first use, so
        # that importing smtp_core (and the Go-named namespace) stays quick.
        import dkim

        fields = signed_fields(data.split(b"\r\n\r\n", 1)[0], self.headers)
        try:
            return dkim.sign(data, self.selector.encode(), self.domain.encode(), self._key,
                             signature_algorithm=self.algorithm.encode(), include_headers=fields)
        except dkim.ParameterError as err:
            raise DKIMError("dkim: %s" % err) from None

    def sign(self, message: Any) -> bytes:
        """``message``'s wire bytes with a DKIM-Signature header first.

        ``message``: an ``email.message.Message`` (serialised as it is
        sent), bytes, or a binary file (read whole).
        """
        data = _wire_data(message)
        head = data.split(b"\r\n\r\n", 1)[0]
        if not re.search(rb"(?im)^from[ \t]*:", head):
            raise DKIMError("dkim: the message has no From header, which DKIM must sign")
        return self._signature(data) + data

    def header(self, head: bytes, body_hash: bytes) -> bytes:
        """The DKIM-Signature header :meth:`sign` would put on a message whose
        header section is ``head`` and whose body's hash is ``body_hash``
        (:class:`BodyHash`): dkimpy's own ``sign``, with ``bh=`` given
        instead of computed from a body held in memory.  dkimpy canonicalizes
        and hashes the headers and makes the signature (``gen_header``)."""
        import dkim
        from dkim.canonicalization import CanonicalizationPolicy
        from dkim.crypto import parse_pem_private_key

        if not re.search(rb"(?im)^from[ \t]*:", head):
            raise DKIMError("dkim: the message has no From header, which DKIM must sign")
        algorithm = self.algorithm.encode()
        signer = dkim.DKIM(head + b"\r\n\r\n", signature_algorithm=algorithm)
        if algorithm == b"rsa-sha256":
            key = parse_pem_private_key(self._key)
        else:
            import nacl.encoding
            import nacl.signing

            key = nacl.signing.SigningKey(self._key, encoder=nacl.encoding.Base64Encoder)
        fields = tuple(name.encode() for name in signed_fields(head, self.headers))
        # As dkimpy's sign(): relaxed headers, simple body, the same tags in the same order.
        canon = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
        signer.hasher = dkim.HASH_ALGORITHMS[algorithm]
        tags = [(b"v", b"1"), (b"a", algorithm), (b"c", canon.to_c_value()), (b"d", self.domain.encode()),
                (b"i", b"@" + self.domain.encode()), (b"q", b"dns/txt"), (b"s", self.selector.encode()),
                (b"t", str(int(time.time())).encode()), (b"h", b" : ".join(fields)),
                (b"bh", base64.b64encode(body_hash)), (b"b", b"0" * 60)]
        return b"DKIM-Signature: " + signer.gen_header(tags, fields, canon, b"DKIM-Signature", key)

    def __repr__(self) -> str:
        return "DKIMSigner(domain=%r, selector=%r, algorithm=%r)" % (self.domain, self.selector, self.algorithm)


def _wire_data(message: Any) -> bytes:
    if isinstance(message, email.message.Message):
        return wire_bytes(message)
    if isinstance(message, (bytes, bytearray, memoryview)):
        data = bytes(message)
    elif hasattr(message, "read") and not isinstance(message, str):
        data = message.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("dkim: the message file must be opened in binary mode ('rb')")
        data = bytes(data)
    else:
        raise TypeError("dkim: the message must be an EmailMessage, bytes or a binary file, got %s"
                        % type(message).__name__)
    return _BARE_LF.sub(b"\r\n", data) if data.count(b"\n") != data.count(b"\r\n") else data


def dkim_sign(message: Any, domain: str, selector: str, private_key: Any, headers: Iterable[str] | None = None,
              algorithm: str = "rsa-sha256") -> bytes:
    """``message`` signed: its wire bytes with a ``DKIM-Signature`` header first.

    ``message`` is an ``EmailMessage`` (serialised without Bcc and
    Resent-Bcc), bytes or a binary file.  See the module documentation for
    the arguments; raises :class:`DKIMError` for a setting or key that
    does not work.
    """
    return DKIMSigner(domain, selector, private_key, headers=headers, algorithm=algorithm).sign(message)


def signers(dkim: Any) -> tuple:
    """The signers ``dkim=`` asks for: none for ``None``; one for a map or a
    :class:`DKIMSigner`; one each for a list of them (checked now, in order)."""
    if dkim is None:
        return ()
    if isinstance(dkim, (list, tuple)):
        return tuple(DKIMSigner.from_spec(spec) for spec in dkim)
    return (DKIMSigner.from_spec(dkim),)


class BodyHash:
    r"""The ``bh=`` of a body given in chunks (CRLF line ends only), never
    held: dkimpy's "simple" body canonicalization (RFC 6376, 3.4.3: the
    empty lines at the end dropped, one CRLF ending the body) done as the
    chunks come, by holding back a trailing run of line ends.

    >>> h = BodyHash(); h.update(b"a\r"); h.update(b"\n\r\n"); h.digest() == hashlib.sha256(b"a\r\n").digest()
    True
    """

    __slots__ = ("_hash", "_held")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()  # both algorithms hash with SHA-256
        self._held = b""

    def update(self, chunk: bytes) -> None:
        text = self._held + chunk if self._held else chunk
        kept = len(text.rstrip(b"\r\n"))
        self._hash.update(memoryview(text)[:kept])
        self._held = text[kept:]

    def digest(self) -> bytes:
        final = self._hash.copy()
        final.update(b"\r\n")
        return final.digest()


#: How many body hashes :func:`sign_stream` keeps, by the stream's identity.
BODY_HASHES_KEPT = 16
_body_hashes: collections.OrderedDict = collections.OrderedDict()
_body_hashes_lock = threading.Lock()


def sign_stream(chunks: Iterable[bytes], chosen: tuple, identity: Hashable | None = None) -> bytes:
    """The DKIM-Signature headers :func:`sign_all` puts on top of a message
    whose wire bytes (CRLF only) come in ``chunks``, read once and not held.

    ``identity`` (:attr:`smtp_core.mail.fileparts.WireStream.identity`) names
    the bytes: the body hash of an identity met among the last
    :data:`BODY_HASHES_KEPT` is used again and only the header section is
    read, so one message with a big file sent to several envelopes
    (``send_many``) reads its files once for hashing, not once each.
    """
    chunks = iter(chunks)
    start = b""
    for chunk in chunks:
        start += chunk
        if b"\r\n\r\n" in start:
            break
    head, _, rest = start.partition(b"\r\n\r\n")
    with _body_hashes_lock:
        digest = _body_hashes.get(identity) if identity is not None else None
    if digest is None:
        body = BodyHash()
        body.update(rest)
        for chunk in chunks:
            body.update(chunk)
        digest = body.digest()
        if identity is not None:
            with _body_hashes_lock:
                _body_hashes[identity] = digest
                while len(_body_hashes) > BODY_HASHES_KEPT:
                    _body_hashes.popitem(last=False)
    headers = b""
    for signer in reversed(chosen):
        headers = signer.header(headers + head, digest) + headers
    return headers


def sign_all(data: bytes, chosen: tuple) -> bytes:
    """``data`` signed by each of ``chosen``, the first one's header on top."""
    for signer in reversed(chosen):
        data = signer.sign(data)
    return data
