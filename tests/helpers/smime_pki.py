"""Certificates for S/MIME tests, made at test time with ``cryptography``:
a CA, an intermediate under it, and signer or recipient certificates (good
and bad: expired, not yet valid, the wrong purpose) issued by either, as
PEM files.  Used by tests/mail/test_smime.py and the catcher's S/MIME view
(tests/devserver/test_catcher_page_smime.py)."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Certificates:
    """A CA, an intermediate and signer certificates under it, as files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = self._issue("test root", self.ca_key.public_key(), None, ca=True)
        self.ca_path = self._write("ca.pem", self.ca)
        self.mid_key = ec.generate_private_key(ec.SECP256R1())
        self.mid = self._issue("test intermediate", self.mid_key.public_key(), (self.ca, self.ca_key), ca=True)
        self.mid_path = self._write("mid.pem", self.mid)

    def _write(self, name: str, cert: x509.Certificate) -> str:
        path = self.directory / name
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return str(path)

    def _issue(self, common: str, public, issuer, *, ca=False, email=None, start=NOW - DAY, end=NOW + 30 * DAY,
               usage="sign", purposes=(ExtendedKeyUsageOID.EMAIL_PROTECTION,)) -> x509.Certificate:
        issuer_cert, issuer_key = issuer if issuer else (None, self.ca_key)
        builder = (x509.CertificateBuilder().subject_name(_name(common))
                   .issuer_name(issuer_cert.subject if issuer_cert else _name(common))
                   .public_key(public).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                            critical=True)
        else:
            sign = usage == "sign"
            builder = builder.add_extension(
                x509.KeyUsage(sign, False, not sign, False, False, False, False, False, False), critical=True)
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(purposes)), critical=False)
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def signer(self, stem: str, kind: str = "rsa", via_mid: bool = True, email: str = "asa@example.com",
               **options) -> dict:
        """``{"cert": path, "key": path}`` of a new certificate for ``email``
        (a signer's by default; ``usage="encrypt"`` for a recipient's)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" \
            else ec.generate_private_key(ec.SECP256R1())
        issuer = (self.mid, self.mid_key) if via_mid else (self.ca, self.ca_key)
        cert = self._issue(email, key.public_key(), issuer, email=email, **options)
        key_path = self.directory / (stem + ".key")
        key_path.write_bytes(private_pem(key))
        return {"cert": self._write(stem + ".pem", cert), "key": str(key_path)}
