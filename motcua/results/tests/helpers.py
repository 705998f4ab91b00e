"""Test helpers: a second, independent CA (a "real" provider's, or a forger's), PDFs read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from motcua.results.pki import DOCUMENT_SIGNING


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def write(self, folder: Path, stem: str, passphrase: bytes | None = None) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key.pem"
        cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        key_path.write_bytes(
            self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        )
        return cert_path, key_path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def make_leaf(ca: Issued, cn: str, *, time_stamping: bool = False) -> Issued:
    """A signing certificate; for a timestamp unit an RSA one (pyHanko's in-process TSA signs with RSA only)."""
    key = rsa.generate_private_key(65537, 2048) if time_stamping else ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    if time_stamping:
        usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
    else:
        usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING])
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(eku, critical=time_stamping)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(cert, key)


def pdf_bytes(result) -> bytes:
    """The stored PDF of an e-result, read from the start whatever was read before."""
    with result.pdf.open("rb") as fh:
        return fh.read()


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace (line breaks included) folded to single spaces."""
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def link_uris(data: bytes) -> list[str]:
    from pypdf import PdfReader

    uris = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get("/URI"):
                uris.append(str(action["/URI"]))
    return uris


def qr_modules_drawn(data: bytes) -> list[list[bool]]:
    """The QR code's dark modules as drawn on the page, read back from its form XObject (one square per module):
    what a scanner would see, without a scanner."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        for name, ref in xobjects.items():
            if "QRKetQua" not in name:
                continue
            form = ref.get_object()
            size = float(form["/BBox"][2]) - float(form["/BBox"][0])
            rects = [[float(v) for v in ops] for ops, op in ContentStream(form, reader).operations if op == b"re"]
            module = rects[0][2]
            n = round(size / module)
            grid = [[False] * n for _ in range(n)]
            for x, y, _w, _h in rects:
                grid[n - 1 - round(y / module)][round(x / module)] = True
            return grid
    raise AssertionError("Không có mã QR trên văn bản.")


def flip_byte_in_signed_range(data: bytes, marker: bytes = b"/Creator") -> bytes:
    """One byte changed inside the first signed range (in the document information, before the signature)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    start, length = sig.byte_range[0], sig.byte_range[1]
    at = data.index(marker, start, start + length) + len(marker) + 3  # a letter inside the value's text
    assert start <= at < start + length
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)
