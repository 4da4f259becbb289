"""Throw-away certificate authority for tests and the development SMTP server.

TLS behaviour (STARTTLS, implicit TLS, certificate verification failures) can
only be tested with real certificates.  This module makes them on demand with
the ``openssl`` command-line tool, so the project needs no extra Python
dependency:

* :func:`make_ca` creates a private certificate authority;
* :func:`issue_cert` issues a server certificate from it, for any mix of DNS
  names and IP addresses, optionally already expired;
* :func:`self_signed_server` is the development server's "generated on first
  use, then reused" CA plus server certificate.

Every key is an EC P-256 key, which ``openssl`` generates in milliseconds, so
a test session can afford a fresh CA.  The only I/O is running ``openssl`` and
writing PEM files into the directory the caller names.

Example (a CA, a valid certificate and an expired one)::

    >>> import tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> ca = make_ca(tmp)
    >>> cert, key = issue_cert(ca, tmp, ("localhost", "127.0.0.1"))
    >>> old_cert, old_key = issue_cert(ca, tmp, stem="old", expired=True)
    >>> import ssl
    >>> client = ssl.create_default_context(cafile=str(ca.cert_path))
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import shutil
import ssl
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple, Union

__all__ = [
    "CA",
    "PKIError",
    "DEFAULT_SERVER_NAMES",
    "default_devserver_directory",
    "make_ca",
    "issue_cert",
    "self_signed_server",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Names the development server certificate covers unless told otherwise:
#: every way a client on the same machine can spell "this host".
DEFAULT_SERVER_NAMES: Tuple[str, ...] = ("localhost", "127.0.0.1", "::1")

# Our own minimal configuration, passed with -config / -extfile, so results do
# not depend on (or break because of) the system's openssl.cnf.  Python >= 3.13
# verifies with VERIFY_X509_STRICT, which insists on critical basicConstraints
# in the CA and on key identifiers, hence the explicit extensions.
_OPENSSL_CONFIG = """\
[ req ]
distinguished_name = req_distinguished_name
prompt = no

[ req_distinguished_name ]
CN = placeholder

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::GOSTD_SMTP_SAN
"""

# `openssl ca` is the one subcommand available in every OpenSSL (1.1.1 and
# 3.x) that accepts an explicit notBefore/notAfter, which is what an expired
# certificate needs; it insists on a small database, described here.
_OPENSSL_CA_CONFIG = """\
[ ca ]
default_ca = throwaway_ca

[ throwaway_ca ]
database = {database}
new_certs_dir = {new_certs_dir}
serial = {serial}
default_md = sha256
policy = policy_anything
unique_subject = no
email_in_dn = no

[ policy_anything ]
commonName = supplied
"""

_EC_KEY_OPTIONS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


class PKIError(RuntimeError):
    """Certificates could not be produced (``openssl`` missing or failing)."""


@dataclass(frozen=True)
class CA:
    """A certificate authority on disk: PEM certificate and unencrypted key.

    Give ``cert_path`` to clients as the trust anchor (``cafile=``).
    """

    cert_path: Path
    key_path: Path


def _openssl_executable() -> str:
    executable = shutil.which("openssl")
    if executable is None:
        raise PKIError(
            "the 'openssl' command is needed to generate test certificates but "
            "was not found on PATH; install OpenSSL, or pass an existing "
            "certificate and key instead"
        )
    return executable


def _run_openssl(arguments: Sequence[str], *, extra_env: Optional[dict] = None) -> str:
    """Run ``openssl`` with ``arguments``; return stdout or raise PKIError."""
    environment = dict(os.environ)
    environment.update(extra_env or {})
    try:
        completed = subprocess.run(
            [_openssl_executable(), *arguments],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PKIError(f"running openssl {arguments[0]} failed: {error}") from error
    if completed.returncode != 0:
        raise PKIError(
            f"openssl {' '.join(arguments)} exited with status "
            f"{completed.returncode}: {completed.stderr.strip()}"
        )
    return completed.stdout


@contextmanager
def _scratch_directory() -> Iterator[Path]:
    """A private directory for CSRs and configuration, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="gostd-smtp-pki-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write_config(scratch: Path) -> Path:
    config = scratch / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG)
    return config


def _subject_alt_names(names: Sequence[str]) -> str:
    """``DNS:``/``IP:`` entries for ``names``, e.g. ``DNS:localhost,IP:::1``."""
    if not names:
        raise ValueError("a certificate needs at least one name")
    entries = []
    for name in names:
        try:
            entries.append(f"IP:{ipaddress.ip_address(name)}")
        except ValueError:
            entries.append(f"DNS:{name}")
    return ",".join(entries)


def _restrict_to_owner(path: Path) -> None:
    # Throw-away keys, but other users of a shared machine still have no
    # business reading them.
    try:
        path.chmod(0o600)
    except OSError:
        pass


def _common_name_subject(name: str) -> str:
    # In an openssl -subj string "/" and "," are separators; escape them.
    return "/CN=" + name.replace("\\", "\\\\").replace("/", "\\/")


def make_ca(directory: PathLike, name: str = "gostd-smtp test CA") -> CA:
    """Create a certificate authority in ``directory`` (``ca.pem``, ``ca.key``).

    ``name`` becomes the CA's common name; give different names to CAs that
    must be told apart (say, the trusted one and an "untrusted" one).  The
    directory is created if needed; existing files are overwritten.

    >>> ca = make_ca(tempfile.mkdtemp(), name="untrusted CA")
    >>> ca.cert_path.name, ca.key_path.name
    ('ca.pem', 'ca.key')
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca = CA(cert_path=directory / "ca.pem", key_path=directory / "ca.key")
    with _scratch_directory() as scratch:
        config = _write_config(scratch)
        _run_openssl(
            [
                "req", "-x509", "-new", *_EC_KEY_OPTIONS,
                "-config", str(config), "-extensions", "v3_ca",
                "-subj", _common_name_subject(name),
                "-days", "3650", "-sha256",
                "-set_serial", _random_serial(),
                "-keyout", str(ca.key_path), "-out", str(ca.cert_path),
            ],
            # The [v3_leaf] section references this variable even when unused.
            extra_env={"GOSTD_SMTP_SAN": "DNS:unused"},
        )
    _restrict_to_owner(ca.key_path)
    return ca


def _random_serial() -> str:
    # Random serials spare us a serial file next to the CA; 120 bits keeps the
    # number positive and within the 20 octets RFC 5280 allows.
    return "0x" + secrets.token_hex(15)


def issue_cert(
    ca: CA,
    directory: PathLike,
    names: Sequence[str] = ("localhost", "127.0.0.1"),
    *,
    stem: str = "server",
    days: int = 3650,
    expired: bool = False,
) -> Tuple[Path, Path]:
    """Issue a server certificate signed by ``ca``; return ``(cert, key)`` paths.

    Each of ``names`` becomes a subjectAltName: ``IP:`` for addresses (IPv4
    or IPv6, e.g. ``"::1"``), ``DNS:`` for everything else; the first one is
    also the common name.  Files are ``<stem>.pem`` and ``<stem>.key`` in
    ``directory``.  With ``expired=True`` the certificate's validity window
    lies entirely in the past (it ended yesterday), so verification fails with
    "certificate has expired"; ``days`` is then ignored.

    >>> tmp = tempfile.mkdtemp()
    >>> ca = make_ca(tmp)
    >>> cert, key = issue_cert(ca, tmp, ["mail.example.test"], stem="wrong-host")
    >>> cert.name
    'wrong-host.pem'
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}.key"
    san_environment = {"GOSTD_SMTP_SAN": _subject_alt_names(list(names))}
    with _scratch_directory() as scratch:
        config = _write_config(scratch)
        request_path = scratch / "request.csr"
        _run_openssl(
            [
                "req", "-new", *_EC_KEY_OPTIONS,
                "-config", str(config),
                "-subj", _common_name_subject(names[0]),
                "-keyout", str(key_path), "-out", str(request_path),
            ],
            extra_env=san_environment,
        )
        _restrict_to_owner(key_path)
        if expired:
            _sign_with_explicit_validity(
                ca, scratch, config, request_path, cert_path, san_environment
            )
        else:
            _run_openssl(
                [
                    "x509", "-req", "-in", str(request_path),
                    "-CA", str(ca.cert_path), "-CAkey", str(ca.key_path),
                    "-set_serial", _random_serial(),
                    "-days", str(days), "-sha256",
                    "-extfile", str(config), "-extensions", "v3_leaf",
                    "-out", str(cert_path),
                ],
                extra_env=san_environment,
            )
    return cert_path, key_path


def _sign_with_explicit_validity(
    ca: CA,
    scratch: Path,
    config: Path,
    request_path: Path,
    cert_path: Path,
    san_environment: dict,
) -> None:
    """Sign with notBefore 30 days ago and notAfter yesterday (``openssl ca``).

    ``openssl x509`` only gained ``-not_before``/``-not_after`` in OpenSSL
    3.4, while ``openssl ca -startdate/-enddate`` works everywhere, so this
    single code path is used on every version.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = now - datetime.timedelta(days=30)
    not_after = now - datetime.timedelta(days=1)
    database = scratch / "index.txt"
    database.write_text("")
    serial = scratch / "serial"
    serial.write_text(secrets.token_hex(15) + "\n")
    new_certs_dir = scratch / "issued"
    new_certs_dir.mkdir()
    ca_config = scratch / "ca.cnf"
    ca_config.write_text(
        _OPENSSL_CA_CONFIG.format(
            database=database, new_certs_dir=new_certs_dir, serial=serial
        )
    )
    _run_openssl(
        [
            "ca", "-batch", "-notext", "-config", str(ca_config),
            "-cert", str(ca.cert_path), "-keyfile", str(ca.key_path),
            "-in", str(request_path), "-out", str(cert_path),
            # UTCTime form (YYMMDDHHMMSSZ) is the one every version accepts.
            "-startdate", not_before.strftime("%y%m%d%H%M%SZ"),
            "-enddate", not_after.strftime("%y%m%d%H%M%SZ"),
            "-extfile", str(config), "-extensions", "v3_leaf",
        ],
        extra_env=san_environment,
    )


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
    directory: Optional[PathLike] = None,
    names: Sequence[str] = DEFAULT_SERVER_NAMES,
) -> Tuple[Path, Path, Path]:
    """The development server's CA and certificate: ``(ca, cert, key)`` paths.

    Generated on first use and reused afterwards, as long as the files still
    verify against each other, cover every one of ``names`` and stay valid
    for at least another day; otherwise they are regenerated.  ``directory``
    defaults to :func:`default_devserver_directory`.  Concurrent first uses
    (two test processes, say) are serialised with a lock file where the
    platform offers ``fcntl``.

    >>> ca, cert, key = self_signed_server(tempfile.mkdtemp())
    >>> ctx = ssl.create_default_context(cafile=str(ca))  # what clients trust
    """
    directory = Path(directory) if directory is not None else default_devserver_directory()
    directory.mkdir(parents=True, exist_ok=True)
    ca = CA(cert_path=directory / "ca.pem", key_path=directory / "ca.key")
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    with _exclusive_lock(directory / ".lock"):
        if not _still_usable(ca, cert_path, key_path, names):
            make_ca(directory, name="gostd-smtp devserver CA")
            # Keep the defaults too, so one cached certificate serves every
            # loopback spelling even when a caller asks for an extra name.
            wanted = list(dict.fromkeys([*names, *DEFAULT_SERVER_NAMES]))
            issue_cert(ca, directory, wanted, stem="server")
    return ca.cert_path, cert_path, key_path


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


def _still_usable(ca: CA, cert_path: Path, key_path: Path, names: Sequence[str]) -> bool:
    """Whether the cached files can be reused as they are."""
    if not all(p.is_file() for p in (ca.cert_path, ca.key_path, cert_path, key_path)):
        return False
    try:
        # Certificate and key belong together (raises otherwise).
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_path, key_path)
        _run_openssl(["verify", "-CAfile", str(ca.cert_path), str(cert_path)])
        # -checkend fails (non-zero exit) if the certificate expires within a day.
        text = _run_openssl(
            ["x509", "-in", str(cert_path), "-noout", "-checkend", "86400", "-text"]
        )
    except (PKIError, ssl.SSLError, OSError):
        return False
    covered = _subject_alt_names(list(names)).split(",")
    text = text.replace("IP Address:", "IP:")
    return all(_san_listed(entry, text) for entry in covered)


def _san_listed(entry: str, certificate_text: str) -> bool:
    kind, _, value = entry.partition(":")
    if kind == "IP":
        # openssl prints IPv6 addresses expanded ("0:0:0:0:0:0:0:1"), so
        # compare parsed addresses rather than strings.
        wanted = ipaddress.ip_address(value)
        for token in certificate_text.replace(",", " ").split():
            if token.startswith("IP:"):
                try:
                    if ipaddress.ip_address(token[3:]) == wanted:
                        return True
                except ValueError:
                    continue
        return False
    return f"DNS:{value}" in certificate_text.replace(",", " ").split()
