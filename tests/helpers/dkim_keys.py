"""DKIM keys for tests, made at test time with dkimpy's own key tool
(``dknewkey``: ``openssl genrsa`` for RSA, PyNaCl for Ed25519) and with
``openssl genpkey``; :meth:`Keys.dns` serves their public halves to
``dkim.verify`` (:func:`verifies`) as a stub DNS, so nothing leaves the
machine."""

from __future__ import annotations

import base64
import subprocess

import dkim
from dkim import dknewkey


class Keys:
    """Key files and their DNS TXT records, made once per test session."""

    def __init__(self, directory) -> None:
        self.rsa = str(directory / "rsa.key")
        dknewkey.GenRSAKeys(self.rsa, verbose=False)
        dknewkey.ExtractRSADnsPublicKey(self.rsa, str(directory / "rsa.dns"), verbose=False)
        self.ed25519 = str(directory / "ed.key")
        seed = dknewkey.GenEd25519Keys(self.ed25519, verbose=False)
        dknewkey.ExtractEd25519PublicKey(str(directory / "ed.dns"), seed, verbose=False)
        self.ed25519_pem = str(directory / "ed-pkcs8.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.ed25519_pem], check=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.ed25519_pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.records = {
            b"rsa._domainkey.example.com.": (directory / "rsa.dns").read_bytes(),
            b"ed._domainkey.example.com.": (directory / "ed.dns").read_bytes(),
            # An Ed25519 SubjectPublicKeyInfo ends with the 32-byte key (RFC 8410).
            b"edpem._domainkey.example.com.": b"v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:]),
        }

    def dns(self, name, timeout=5):
        return self.records.get(name)


def verifies(raw: bytes, keys: Keys) -> bool:
    return dkim.verify(raw, dnsfunc=keys.dns)
