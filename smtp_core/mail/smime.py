"""S/MIME for composed mail (RFC 8551): signing and encryption, through ``cryptography``.

:func:`smtp_core.mail.compose.message` takes ``:smime {:cert .. :key .. :chain
[..] :encrypt-to [..]}``: :func:`read` checks it, :meth:`SMIME.apply`
wraps the composed body.  There is no CMS code of ours: ``cryptography``'s
``PKCS7SignatureBuilder`` and ``PKCS7EnvelopeBuilder`` make the
structures.  Rules:

* **Signed** (``cert`` and ``key``; RFC 8551, 3.5; RFC 1847): the body
  becomes the first part of a ``multipart/signed`` (``protocol=
  "application/pkcs7-signature"``, ``micalg=sha-256``) whose second part is
  the detached signature, ``smime.p7s``, base64.  The message headers
  (From, To, Subject...) stay outside, as RFC 8551 does it.
* **What is signed** is the first part exactly as it goes on the wire: cut
  from the serialisation by :func:`smtp_core.mail.wireform.wire_bytes` (CRLF
  line ends, 7-bit transfer encodings only, boundaries fixed, headers not
  refolded inside multipart/signed, as the ``email`` generator does per
  RFC 1847), so the bytes a receiver checks are the bytes signed.  The
  finished message is checked to carry them verbatim.
* **Encrypted** (``encrypt-to``, RFC 8551, 3.3): the body (signed first
  when ``cert`` and ``key`` are given too: sign, then encrypt) is
  enveloped with AES-256-CBC for every recipient certificate, and the
  message becomes ``application/pkcs7-mime; smime-type=enveloped-data``,
  ``smime.p7m``, base64.  Only RSA recipients (``cryptography``'s limit).
* **Files**: ``cert``, ``key``, each ``chain`` entry (intermediate
  certificates sent along with the signature) and each ``encrypt-to``
  entry are paths to PEM (or DER) files, or their bytes.  SHA-256; the
  signing time and S/MIME capabilities are signed attributes.
* **Refused before anything is built**, a :class:`ComposeError` naming the
  file (and a recipient's address): a file that cannot be read or is not
  a certificate or a private key (a key with a passphrase too), a signer
  certificate that does not match its key, any certificate that has
  expired or is not yet valid, a signer whose key usage or extended key
  usage forbids signing mail, a recipient whose key usage does not allow
  key encipherment, whose extended key usage lacks emailProtection, or
  whose key is not RSA.
"""

from __future__ import annotations

import datetime
import email.message
import os
import secrets
from dataclasses import dataclass
from typing import Any

import cryptography
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..errors import ComposeError
from .wireform import wire_bytes

__all__ = ["SMIME", "Signer", "read", "read_signer", "read_recipients", "sign_body", "encrypt_body", "KEYS"]

KEYS = ("cert", "key", "chain", "encrypt-to")
_PUBLIC = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Signer:
    """A signing certificate, its private key and the chain sent along."""

    cert: x509.Certificate
    key: Any  # an RSA or EC private key
    chain: tuple
    name: str  # how errors name the certificate (its file)


@dataclass(frozen=True)
class SMIME:
    """What ``:smime`` asks for: a :class:`Signer`, recipient certificates, or both."""

    signer: Signer | None
    recipients: tuple

    def apply(self, msg: email.message.EmailMessage, body: email.message.MIMEPart) -> None:
        """Make ``msg`` (headers only so far) carry ``body`` signed, encrypted, or both."""
        if not self.recipients:
            sign_body(msg, body, self.signer)
            return
        if self.signer is not None:
            signed = email.message.MIMEPart(policy=msg.policy)
            sign_body(signed, body, self.signer)
            body = signed
        encrypt_body(msg, body, self.recipients)


def _read(where: str, value: Any) -> tuple[bytes, str]:
    """The bytes of a path or of bytes given inline, and how to name them."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), where
    if not isinstance(value, (str, os.PathLike)):
        raise ComposeError("%s must be a path or bytes, got %s" % (where, type(value).__name__))
    path = os.fspath(value)
    try:
        with open(path, "rb") as f:
            return f.read(), "%s %r" % (where, path)
    except OSError as err:
        raise ComposeError("%s: cannot read the file %r: %s" % (where, path, err.strerror or err)) from None


def _certificate(where: str, value: Any) -> tuple[x509.Certificate, str]:
    data, name = _read(where, value)
    try:
        loader = x509.load_pem_x509_certificate if b"-----BEGIN" in data else x509.load_der_x509_certificate
        return loader(data), name
    except ValueError as err:
        raise ComposeError("%s is not an X.509 certificate (PEM or DER): %s" % (name, err)) from None


def _private_key(where: str, value: Any):
    data, name = _read(where, value)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except TypeError:
        raise ComposeError("%s is protected by a passphrase; give the key without one" % name) from None
    except ValueError as err:
        raise ComposeError("%s is not a private key (PEM or DER): %s" % (name, err)) from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ComposeError("%s: S/MIME signing takes an RSA or EC key, got %s" % (name, type(key).__name__))
    return key, name


def _extension(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_mail_certificate(cert: x509.Certificate, name: str, signing: bool) -> None:
    """Refuse a certificate that is not valid now or may not do ``signing``
    (else encryption) for mail."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if now > cert.not_valid_after_utc:
        raise ComposeError("%s expired on %s" % (name, cert.not_valid_after_utc.isoformat()))
    if now < cert.not_valid_before_utc:
        raise ComposeError("%s is not valid before %s" % (name, cert.not_valid_before_utc.isoformat()))
    usage = _extension(cert, x509.KeyUsage)
    if usage is not None and signing and not (usage.digital_signature or usage.content_commitment):
        raise ComposeError("%s: its key usage does not allow signatures (digitalSignature)" % name)
    if usage is not None and not signing and not usage.key_encipherment:
        raise ComposeError("%s: its key usage does not allow encryption (keyEncipherment)" % name)
    purposes = _extension(cert, x509.ExtendedKeyUsage)
    if purposes is not None and not {ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                     ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE} & set(purposes):
        raise ComposeError("%s: its extended key usage does not include emailProtection" % name)


def _addresses(cert: x509.Certificate) -> list[str]:
    names = _extension(cert, x509.SubjectAlternativeName)
    return names.get_values_for_type(x509.RFC822Name) if names is not None else []


def read(options: dict) -> SMIME:
    """The :class:`SMIME` that ``options`` (``:smime``'s map, its keys
    read) ask for, every file checked."""
    signs = options.get("cert") is not None or options.get("key") is not None
    if not signs and options.get("encrypt-to") is None:
        raise ComposeError(":smime: give :cert and :key to sign, :encrypt-to to encrypt, or both")
    signer = read_signer(options) if signs else None
    recipients = read_recipients(options["encrypt-to"]) if options.get("encrypt-to") is not None else ()
    return SMIME(signer, recipients)


def read_recipients(value: Any) -> tuple:
    """The certificates of ``:encrypt-to`` (one or a list), checked."""
    if not hasattr(getattr(pkcs7, "PKCS7EnvelopeBuilder", None), "set_content_encryption_algorithm"):
        raise ComposeError(":smime :encrypt-to needs a newer cryptography (AES-256 envelopes; installed: %s)"
                           % cryptography.__version__)
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise ComposeError(":smime :encrypt-to: an empty list of certificates")
    found = []
    for index, item in enumerate(items):
        cert, name = _certificate(":smime :encrypt-to[%d]" % index, item)
        addresses = _addresses(cert)
        if addresses:
            name += " (%s)" % ", ".join(addresses)
        if not isinstance(cert.public_key(), rsa.RSAPublicKey):
            raise ComposeError("%s: S/MIME encryption takes RSA certificates, this one holds %s"
                               % (name, type(cert.public_key()).__name__))
        _check_mail_certificate(cert, name, signing=False)
        found.append(cert)
    return tuple(found)


def read_signer(options: dict) -> Signer:
    """The :class:`Signer` that ``options`` (``:smime``'s map, its keys
    read: ``cert``, ``key``, ``chain``) name, checked; :class:`ComposeError`
    naming the file otherwise."""
    for required in ("cert", "key"):
        if options.get(required) is None:
            raise ComposeError(":smime: :%s is required" % required)
    cert, cert_name = _certificate(":smime :cert", options["cert"])
    key, key_name = _private_key(":smime :key", options["key"])
    if cert.public_key().public_bytes(*_PUBLIC) != key.public_key().public_bytes(*_PUBLIC):
        raise ComposeError("%s does not match the key %s" % (cert_name, key_name))
    _check_mail_certificate(cert, cert_name, signing=True)
    chain = options.get("chain") or []
    if not isinstance(chain, (list, tuple)):
        chain = [chain]
    return Signer(cert, key, tuple(_certificate(":smime :chain[%d]" % i, c)[0] for i, c in enumerate(chain)),
                  cert_name)


def sign_body(msg: email.message.Message, body: email.message.MIMEPart, signer: Signer) -> None:
    """Make ``msg`` (headers only so far; the message or a part) a
    ``multipart/signed`` of ``body`` and its detached signature by ``signer``."""
    utf8 = bool(msg.policy.utf8)
    boundary = "=_" + secrets.token_hex(16)
    msg["Content-Type"] = "multipart/signed"
    msg.set_param("protocol", "application/pkcs7-signature")
    msg.set_param("micalg", "sha-256")
    msg.set_param("boundary", boundary)
    msg.attach(body)
    # The part as the generator writes it inside multipart/signed (where it
    # does not refold headers): cut from the message's own serialisation.
    wire = wire_bytes(msg, utf8)
    delimiter = b"--" + boundary.encode() + b"\r\n"
    start = wire.index(delimiter) + len(delimiter)
    signed = wire[start:wire.index(b"\r\n--" + boundary.encode(), start)]
    builder = pkcs7.PKCS7SignatureBuilder().set_data(signed).add_signer(signer.cert, signer.key, hashes.SHA256())
    for extra in signer.chain:
        builder = builder.add_certificate(extra)
    # Binary: the bytes are already canonical (CRLF), and are signed as they are.
    signature = builder.sign(serialization.Encoding.DER,
                             [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    part = email.message.MIMEPart(policy=msg.policy)
    part.set_content(signature, "application", "pkcs7-signature", disposition="attachment",
                     filename="smime.p7s", params={"name": "smime.p7s"})
    msg.attach(part)
    if signed not in wire_bytes(msg, utf8):
        raise ComposeError(":smime: the signed part does not serialise as it was signed")  # a bug, not an input


def encrypt_body(msg: email.message.EmailMessage, body: email.message.Message, recipients: tuple) -> None:
    """Make ``msg`` (headers only so far) ``application/pkcs7-mime`` holding
    ``body`` (a MIME entity, headers and all) enveloped for ``recipients``."""
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(wire_bytes(body, bool(msg.policy.utf8)))
    for cert in recipients:
        builder = builder.add_recipient(cert)
    builder = builder.set_content_encryption_algorithm(algorithms.AES256)
    # Binary: the entity is already canonical (CRLF).
    enveloped = builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    msg.set_content(enveloped, "application", "pkcs7-mime", disposition="attachment", filename="smime.p7m",
                    params={"smime-type": "enveloped-data", "name": "smime.p7m"})
