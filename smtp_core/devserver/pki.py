"""Throw-away certificate authority for tests and the development SMTP server.

Certificates come from ``trustme`` (EC P-256 keys, made in milliseconds by
``cryptography``); no ``openssl`` command is involved.  This module adds
what trustme leaves to its caller: files on disk, with 0600 keys.

* :func:`make_ca` creates a private certificate authority;
* :func:`issue_cert` issues a server certificate from it, for any mix of DNS
  names and IP addresses, optionally already expired;
* :func:`self_signed_server` is the development server's CA and certificate,
  made on first use and reused by later runs (under a file lock) until they
  no longer cover the names asked for or come within 30 days of expiring.

The development server's CA is made by :func:`constrained_ca` and is held
to what a CA that everybody's trust store may hold can be allowed to do:

* X.509 name constraints (RFC 5280 section 4.2.1.10, critical) permit
  exactly the names of the one certificate it signs: ``localhost`` (which
  also permits ``*.localhost``, loopback by RFC 6761), 127.0.0.1/32, ::1/128
  and any name asked for.  A certificate it signed for another name fails
  verification in every client that checks constraints (OpenSSL, so Python's
  ``ssl``, and Go's ``crypto/x509``);
* it lives a year (the certificate it signs a day less) instead of
  trustme's 2000 to 3000, and may sign no CA below it (path length 0);
* its private key is never written: it exists in memory while the server
  certificate is issued and is then dropped.  So nothing on disk can sign
  another certificate; when a new name is asked for, or the pair nears its
  end, a new CA is made together with the new certificate, and clients
  trust the new ``ca.pem`` (read it afresh, as the test suite does).

:func:`make_ca` and :func:`issue_cert` remain a plain test CA for the test
suite (any name, expired certificates; its key is written, 0600, because
tests issue more certificates from it later).

Example (a CA, a valid certificate and an expired one)::

    >>> import ssl, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> ca = make_ca(tmp)
    >>> cert, key = issue_cert(ca, tmp, ("localhost", "127.0.0.1"))
    >>> old_cert, old_key = issue_cert(ca, tmp, stem="old", expired=True)
    >>> client = ssl.create_default_context(cafile=str(ca.cert_path))
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import idna
import trustme
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import NameOID

__all__ = [
    "CA",
    "PKIError",
    "DEFAULT_SERVER_NAMES",
    "default_devserver_directory",
    "make_ca",
    "issue_cert",
    "constrained_ca",
    "name_constraints",
    "self_signed_server",
    "CA_LIFETIME",
    "SERVER_LIFETIME",
]

PathLike = str | os.PathLike[str]

#: Names the development server certificate covers unless told otherwise:
#: every way a client on the same machine can spell "this host".
DEFAULT_SERVER_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")

#: How long the development server's CA is valid; its certificate one day less.
CA_LIFETIME = datetime.timedelta(days=366)
SERVER_LIFETIME = CA_LIFETIME - datetime.timedelta(days=1)
_RENEW_BEFORE = datetime.timedelta(days=30)
# Validity starts a little in the past, for clients whose clock is behind.
_CLOCK_SKEW = datetime.timedelta(hours=1)


class PKIError(RuntimeError):
    """Certificates could not be produced (for example, an unwritable directory)."""


@dataclass(frozen=True)
class CA:
    """A certificate authority on disk: PEM certificate and unencrypted key.

    Give ``cert_path`` to clients as the trust anchor (``cafile=``).
    """

    cert_path: Path
    key_path: Path


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only its owner can read, from its first byte."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _directory(directory: PathLike) -> Path:
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PKIError(f"cannot create the certificate directory {path}: {error}") from error
    return path


def make_ca(directory: PathLike, name: str = "gostd-smtp test CA") -> CA:
    """Create a certificate authority in ``directory`` (``ca.pem``, ``ca.key``).

    ``name`` becomes the CA's organisation name; give different names to CAs
    that must be told apart (say, the trusted one and an "untrusted" one).
    The directory is created if needed; existing files are overwritten.

    >>> import tempfile
    >>> ca = make_ca(tempfile.mkdtemp(), name="untrusted CA")
    >>> ca.cert_path.name, ca.key_path.name
    ('ca.pem', 'ca.key')
    """
    directory = _directory(directory)
    authority = trustme.CA(organization_name=name)
    ca = CA(cert_path=directory / "ca.pem", key_path=directory / "ca.key")
    _write_private(ca.key_path, authority.private_key_pem.bytes())
    ca.cert_path.write_bytes(authority.cert_pem.bytes())
    return ca


def issue_cert(
    ca: CA,
    directory: PathLike,
    names: Sequence[str] = ("localhost", "127.0.0.1"),
    *,
    stem: str = "server",
    days: int = 365,
    expired: bool = False,
) -> tuple[Path, Path]:
    """Issue a server certificate signed by ``ca``; return ``(cert, key)`` paths.

    Each of ``names`` becomes a subjectAltName (an IP address entry for
    addresses, IPv4 or IPv6, a DNS entry otherwise); the first one is also
    the common name.  Files are ``<stem>.pem`` and ``<stem>.key`` in
    ``directory``.  With ``expired=True`` the validity window lies entirely
    in the past (it ended yesterday), so verification fails with
    "certificate has expired"; ``days`` is then ignored.

    >>> import tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> cert, key = issue_cert(make_ca(tmp), tmp, ["mail.example.test"], stem="wrong-host")
    >>> cert.name
    'wrong-host.pem'
    """
    if not names:
        raise ValueError("a certificate needs at least one name")
    directory = _directory(directory)
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        not_before, not_after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
    else:
        not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=days)
    authority = trustme.CA.from_pem(ca.cert_path.read_bytes(), ca.key_path.read_bytes())
    leaf = authority.issue_cert(
        *names, common_name=names[0], not_before=not_before, not_after=not_after
    )
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    _write_private(key_path, leaf.private_key_pem.bytes())
    cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return cert_path, key_path


def _ascii_name(name: str) -> str:
    # trustme writes a U-label as its A-label (IDNA 2008 with UTS 46), so the
    # constraint must name it the same way.
    return name.lower() if name.isascii() else idna.encode(name, uts46=True).decode("ascii")


def name_constraints(names: Sequence[str]) -> x509.NameConstraints:
    """Permitted subtrees for exactly ``names``: an IP address becomes a
    one-address network, anything else a DNS name (which permits its
    subdomains too, RFC 5280).

    >>> [str(tree.value) for tree in name_constraints(["localhost", "::1", "127.0.0.1"]).permitted_subtrees]
    ['localhost', '::1/128', '127.0.0.1/32']
    """
    permitted: list = []
    for name in dict.fromkeys(names):
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            permitted.append(x509.DNSName(_ascii_name(name)))
        else:
            permitted.append(x509.IPAddress(ipaddress.ip_network(address)))
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def constrained_ca(names: Sequence[str], name: str = "gostd-smtp devserver CA",
                   lifetime: datetime.timedelta = CA_LIFETIME) -> trustme.CA:
    """A CA, in memory only, that may sign certificates for ``names`` alone
    (:func:`name_constraints`), valid for ``lifetime`` from now, with no CA
    below it.  Its ``issue_cert`` is trustme's.

    >>> authority = constrained_ca(["localhost", "127.0.0.1"])
    >>> leaf = authority.issue_cert("localhost", "127.0.0.1")  # within the constraints
    """
    if not names:
        raise ValueError("a constrained CA needs at least one name")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        # Each CA is new: a distinct name keeps clients from mixing them up.
        x509.NameAttribute(NameOID.COMMON_NAME, f"{name} {x509.random_serial_number() % 10**12:012d}"),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(name_constraints(names), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key goes to trustme as PEM, in memory; nothing is written.
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return trustme.CA.from_pem(certificate.public_bytes(serialization.Encoding.PEM), key_pem)


def default_devserver_directory() -> Path:
    """Where :func:`self_signed_server` keeps its files unless told otherwise.

    ``$XDG_CACHE_HOME/gostd-smtp/devserver``, falling back to
    ``~/.cache/gostd-smtp/devserver``.
    """
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(cache_home) / "gostd-smtp" / "devserver"


def self_signed_server(
    directory: PathLike | None = None,
    names: Sequence[str] = DEFAULT_SERVER_NAMES,
) -> tuple[Path, Path, Path]:
    """The development server's CA and certificate: ``(ca, cert, key)`` paths.

    Made on first use and reused afterwards, as long as the certificate was
    issued by the CA beside it, that CA is one of :func:`constrained_ca`'s,
    the certificate covers every one of ``names`` and both stay valid for at
    least another 30 days; otherwise both are made anew (no CA key is kept
    to sign another certificate).  A ``ca.key`` left by an earlier version
    is deleted.  ``directory``
    defaults to :func:`default_devserver_directory`.  Concurrent first uses
    (two test processes, say) are serialised with a lock file where the
    platform offers ``fcntl``.

    >>> import ssl, tempfile
    >>> ca, cert, key = self_signed_server(tempfile.mkdtemp())
    >>> ctx = ssl.create_default_context(cafile=str(ca))  # what clients trust
    """
    directory = _directory(directory if directory is not None else default_devserver_directory())
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    with _exclusive_lock(directory / ".lock"):
        (directory / "ca.key").unlink(missing_ok=True)
        if not _still_usable(ca_path, cert_path, key_path, names):
            # Keep the defaults too, so one cached certificate serves every
            # loopback spelling even when a caller asks for an extra name.
            wanted = list(dict.fromkeys([*names, *DEFAULT_SERVER_NAMES]))
            authority = constrained_ca(wanted)
            now = datetime.datetime.now(datetime.timezone.utc)
            leaf = authority.issue_cert(*wanted, common_name=wanted[0], not_before=now - _CLOCK_SKEW,
                                        not_after=now + SERVER_LIFETIME)
            _write_private(key_path, leaf.private_key_pem.bytes())
            cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
            ca_path.write_bytes(authority.cert_pem.bytes())
    return ca_path, cert_path, key_path


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no cross-process lock, first use may race.
        yield
        return
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _still_usable(ca_path: Path, cert_path: Path, key_path: Path, names: Sequence[str]) -> bool:
    """Whether the cached files can be reused as they are."""
    try:
        authority = x509.load_pem_x509_certificate(ca_path.read_bytes())
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        # Raises unless the CA's key signed this certificate.
        certificate.verify_directly_issued_by(authority)
        key_matches = (
            load_pem_private_key(key_path.read_bytes(), None).public_key()
            == certificate.public_key()
        )
        names_in_cert = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value
        # A CA of an earlier version (unconstrained, valid 2000 to 3000) is replaced.
        authority.extensions.get_extension_for_class(x509.NameConstraints)
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    if not key_matches:
        return False
    now = datetime.datetime.now(datetime.timezone.utc)
    if authority.not_valid_after_utc - authority.not_valid_before_utc > CA_LIFETIME + _CLOCK_SKEW:
        return False
    if min(certificate.not_valid_after_utc, authority.not_valid_after_utc) - now < _RENEW_BEFORE:
        return False
    dns_names = {name.lower() for name in names_in_cert.get_values_for_type(x509.DNSName)}
    addresses = set(names_in_cert.get_values_for_type(x509.IPAddress))
    for name in names:
        try:
            if ipaddress.ip_address(name) not in addresses:
                return False
        except ValueError:
            if name.lower() not in dns_names:
                return False
    return True
