"""Who signs e-results: a signing certificate and private key per issuing agency.

Development (the default, `MOTCUA_DEV_PKI=1`): a local root CA, "motcua Development Root CA", and one EC P-256
certificate per agency, made the first time that agency signs. Everything lives under `MOTCUA_PKI_DIR`
(default `$MOTCUA_DATA_DIR/pki/`), never in the database or the repository:

    pki/passphrase                      random, mode 0600, created once; encrypts every private key below
    pki/root-ca.pem, root-ca.key.pem    the root certificate and its PKCS#8-encrypted key (0600)
    pki/agencies/<code>/cert.pem        the agency's certificate (keyUsage digitalSignature + nonRepudiation,
    pki/agencies/<code>/key.pem         extendedKeyUsage emailProtection + documentSigning) and its encrypted key

Production: `MOTCUA_SIGNING_KEYS` maps an agency code (or "*" for every agency) to the certificate a real CA
issued: ``{"cert": path, "key": path, "chain": [paths], "passphrase_file": path}`` or
``{"pkcs12": path, "passphrase_file": path}``; their roots go in `MOTCUA_SIGNING_TRUST_ROOTS`. With
`MOTCUA_DEV_PKI=0`, an agency without a configured certificate cannot sign (the issue stays pending, with the
reason, until one is configured).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from django.conf import settings

ROOT_NAME = "motcua Development Root CA"
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)
ROOT_DAYS = 20 * 365
AGENCY_DAYS = 3 * 365
RENEW_BEFORE = dt.timedelta(days=30)  # a certificate this close to its end is replaced by a fresh one


class SigningUnavailable(RuntimeError):
    """No certificate to sign with for this agency (production without a configured key)."""


@dataclass(frozen=True)
class SigningIdentity:
    """What pyHanko needs to sign for one agency, and what we record about it."""

    agency_code: str
    certificate: asn1_x509.Certificate
    private_key: asn1_keys.PrivateKeyInfo
    chain: tuple[asn1_x509.Certificate, ...]  # issuers, embedded in every signature
    source: str  # "dev" or "configured"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.certificate.dump()).hexdigest()

    @property
    def subject(self) -> str:
        return self.certificate.subject.human_friendly

    @property
    def common_name(self) -> str:
        return str(self.certificate.subject.native.get("common_name") or self.subject)

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate["tbs_certificate"]["validity"]["not_after"].native

    def signer(self):
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        return signers.SimpleSigner(
            signing_cert=self.certificate,
            signing_key=self.private_key,
            cert_registry=SimpleCertificateStore.from_certs(list(self.chain)),
        )


# --- files -------------------------------------------------------------------------------------------------


def pki_dir() -> Path:
    return Path(settings.MOTCUA_PKI_DIR)


def _write_secret(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), atomically: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_public(path: Path, data: bytes) -> None:
    _write_secret(path, data)
    path.chmod(0o644)


_held = threading.local()
_thread_lock = threading.RLock()


@contextmanager
def _lock() -> Iterator[None]:
    """One creator at a time across processes (the web workers and the worker may all sign) and threads;
    re-entrant, so making an agency certificate may make the root first."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    base = pki_dir()
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    with _thread_lock, open(base / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(fh, fcntl.LOCK_UN)


def passphrase() -> bytes:
    """The passphrase that encrypts the development keys at rest: 256 random bits, created once, mode 0600."""
    path = pki_dir() / "passphrase"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_urlsafe(32).encode())
    return path.read_bytes().strip()


def _encrypted_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase()),
    )


def _load_key(data: bytes, password: bytes | None):
    if data.lstrip().startswith(b"-----"):
        return serialization.load_pem_private_key(data, password)
    return serialization.load_der_private_key(data, password)


def _load_cert(data: bytes) -> x509.Certificate:
    if data.lstrip().startswith(b"-----"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the development root ----------------------------------------------------------------------------------


def root_paths() -> tuple[Path, Path]:
    return pki_dir() / "root-ca.pem", pki_dir() / "root-ca.key.pem"


def ensure_root() -> x509.Certificate:
    """The development root CA, created once (idempotent, safe between concurrent processes)."""
    cert_path, key_path = root_paths()
    if cert_path.exists() and key_path.exists():
        return _load_cert(cert_path.read_bytes())
    with _lock():
        if cert_path.exists() and key_path.exists():
            return _load_cert(cert_path.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "motcua"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Development PKI - not for production"),
                x509.NameAttribute(NameOID.COMMON_NAME, ROOT_NAME),
            ]
        )
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_secret(key_path, _encrypted_pem(key))
        _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return cert


def root_fingerprint() -> str:
    return ensure_root().fingerprint(hashes.SHA256()).hex()


# --- agency certificates -----------------------------------------------------------------------------------


def _slug(code: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", code).strip(".")
    if not slug:
        raise ValueError("Mã cơ quan không hợp lệ.")
    return slug


def _agency_paths(code: str) -> tuple[Path, Path]:
    base = pki_dir() / "agencies" / _slug(code)
    return base / "cert.pem", base / "key.pem"


def _issue_agency_cert(code: str, name: str) -> None:
    """A fresh key and certificate for the agency, signed by the development root (caller holds the lock)."""
    root = ensure_root()
    root_key = _load_key(root_paths()[1].read_bytes(), passphrase())
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Chứng thư số phát triển - motcua"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, code[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, name[:64]),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(min(now + dt.timedelta(days=AGENCY_DAYS), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation: what PDF validators look for on a document signature
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # emailProtection is what NSS (poppler's pdfsig) checks for a signer; documentSigning is the modern one.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    cert_path, key_path = _agency_paths(code)
    if cert_path.exists():  # renewal: keep the old certificate for the record
        old = _load_cert(cert_path.read_bytes())
        archive = cert_path.parent / "archive"
        archive.mkdir(exist_ok=True)
        shutil.copy2(cert_path, archive / f"cert-{old.serial_number:x}.pem")
    _write_secret(key_path, _encrypted_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _dev_identity(code: str, name: str) -> SigningIdentity:
    cert_path, key_path = _agency_paths(code)

    def fresh() -> bool:
        if not (cert_path.exists() and key_path.exists()):
            return False
        return _load_cert(cert_path.read_bytes()).not_valid_after_utc - _now() > RENEW_BEFORE

    if not fresh():
        with _lock():
            if not fresh():
                _issue_agency_cert(code, name)
    cert = _load_cert(cert_path.read_bytes())
    key = _load_key(key_path.read_bytes(), passphrase())
    return SigningIdentity(code, _asn1_cert(cert), _asn1_key(key), (_asn1_cert(ensure_root()),), "dev")


# --- configured (production) certificates ------------------------------------------------------------------


def _read_passphrase(entry: dict) -> bytes | None:
    if entry.get("passphrase_file"):
        return Path(entry["passphrase_file"]).read_bytes().strip()
    return None


def _configured_identity(code: str, entry: dict) -> SigningIdentity:
    password = _read_passphrase(entry)
    if entry.get("pkcs12"):
        key, cert, extra = pkcs12.load_key_and_certificates(Path(entry["pkcs12"]).read_bytes(), password)
        if key is None or cert is None:
            raise SigningUnavailable(f"Tệp PKCS#12 của cơ quan {code} không có khóa hoặc chứng thư.")
        chain = list(extra or [])
    else:
        cert = _load_cert(Path(entry["cert"]).read_bytes())
        key = _load_key(Path(entry["key"]).read_bytes(), password)
        chain = [_load_cert(Path(p).read_bytes()) for p in entry.get("chain") or []]
    return SigningIdentity(code, _asn1_cert(cert), _asn1_key(key), tuple(_asn1_cert(c) for c in chain), "configured")


# --- resolution, cached per process ------------------------------------------------------------------------

_cache: dict[tuple[str, str], SigningIdentity] = {}
_cache_lock = threading.Lock()


def identity_for(agency) -> SigningIdentity:
    """The identity that signs for `agency` (an Agency or anything with `.code` and `.name`)."""
    code, name = agency.code, agency.name
    keys = getattr(settings, "MOTCUA_SIGNING_KEYS", {}) or {}
    entry = keys.get(code) or keys.get("*")
    cache_key = (str(pki_dir()) if entry is None else "configured", code)
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None and cached.not_after - _now() > RENEW_BEFORE:
        return cached
    if entry is not None:
        identity = _configured_identity(code, entry)
    elif getattr(settings, "MOTCUA_DEV_PKI", True):
        identity = _dev_identity(code, name)
    else:
        raise SigningUnavailable(
            f"Chưa cấu hình chứng thư số cho cơ quan {code} (MOTCUA_SIGNING_KEYS) và hạ tầng khóa phát triển đã tắt."
        )
    with _cache_lock:
        _cache[cache_key] = identity
    return identity


def forget_identities() -> None:
    with _cache_lock:
        _cache.clear()


def trust_roots() -> list[asn1_x509.Certificate]:
    """The anchors a signature must chain to: configured roots, and the development root when it is in use."""
    roots = [_asn1_cert(_load_cert(Path(p).read_bytes())) for p in getattr(settings, "MOTCUA_SIGNING_TRUST_ROOTS", [])]
    cert_path = root_paths()[0]
    if getattr(settings, "MOTCUA_DEV_PKI", True) and cert_path.exists():
        roots.append(_asn1_cert(_load_cert(cert_path.read_bytes())))
    return roots


# --- an NSS database trusting the development root (pdfsig, Firefox, Thunderbird) --------------------------


def make_nss_db(target: Path) -> Path:
    """An NSS certificate database (sql:) with the development root trusted for e-mail/document signing, so
    `pdfsig -nssdir sql:<target> file.pdf` says "Certificate is Trusted". Needs `certutil` (libnss3-tools)."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise FileNotFoundError("certutil (gói libnss3-tools) chưa được cài.")
    ensure_root()
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "cert9.db").exists():
        subprocess.run(  # noqa: S603 (certutil found on PATH, fixed arguments)
            [certutil, "-N", "-d", f"sql:{target}", "--empty-password"], check=True, capture_output=True
        )
    subprocess.run(  # noqa: S603
        [certutil, "-A", "-d", f"sql:{target}", "-n", ROOT_NAME, "-t", "C,C,C", "-i", str(root_paths()[0])],
        check=True,
        capture_output=True,
    )
    return target
