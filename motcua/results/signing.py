"""PAdES signing and signature checks of e-result PDFs (pyHanko).

Signing: PAdES baseline B-B (`ETSI.CAdES.detached`, SHA-256, ECDSA P-256), the certificate chain embedded in the
CMS; B-T when a timestamp authority is configured (`MOTCUA_TSA_URL`, RFC 3161 over HTTP); B-LT (revocation
information embedded) when `MOTCUA_SIGNING_EMBED_REVOCATION` is on and the certificates name their OCSP/CRL
services. The signing time printed on the page is the one in the signature (one value, chosen before rendering).

Checking: every embedded signature is validated against our trust anchors (`pki.trust_roots()`): the digest must
match the signed bytes, the ECDSA signature must verify, the chain must reach an anchor, and anything appended
after the signature must be a harmless update (e.g. validation data); otherwise the document was changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings

from .pki import SigningIdentity, trust_roots

FIELD_NAME = "ChuKySoCoQuan"
# Room for the CMS container of a development signature (EC P-256, chain of 2, no timestamp): a fixed size skips
# pyHanko's trial signature. Other set-ups (real chains, timestamps, revocation data) let pyHanko estimate.
RESERVED_BYTES = 8192


def _outside_event_loop(fn, *args, **kwargs):
    """pyHanko's synchronous calls start their own event loop (asyncio.run), which fails in a thread that already
    runs one (an async caller, a test driving a browser): there, run the call in a short-lived thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature field goes: page index (0-based) and its rectangle in PDF points."""

    page: int
    box: tuple[int, int, int, int]


def _pdf_signer_class():
    from pyhanko.sign import signers

    class _TimedSigner(signers.PdfSigner):
        """A PdfSigner whose signing time is the one we chose (it is printed on the page before signing)."""

        def __init__(self, *args, signing_time: dt.datetime, **kwargs):
            super().__init__(*args, **kwargs)
            self._signing_time = signing_time

        def init_signing_session(self, pdf_out, existing_fields_only=False):
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = self._signing_time
            return session

    return _TimedSigner


_timestampers: dict[str, object] = {}


def timestamper():
    """The RFC 3161 client for `MOTCUA_TSA_URL`, one per URL and process: it keeps the dummy answer pyHanko uses
    to size the signature, so each signature costs one request to the authority, not two."""
    url = getattr(settings, "MOTCUA_TSA_URL", "")
    if not url:
        return None
    if url not in _timestampers:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        _timestampers[url] = HTTPTimeStamper(url, timeout=int(getattr(settings, "MOTCUA_TSA_TIMEOUT_SECONDS", 10)))
    return _timestampers[url]


def sign_pdf(
    pdf: bytes,
    identity: SigningIdentity,
    *,
    signing_time: dt.datetime,
    reason: str,
    location: str,
    where: SignatureBox | None = None,
) -> bytes:
    """The PDF with one PAdES signature by `identity` (an incremental update covering the whole file)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp.noop import NoOpStampStyle

    tsa = timestamper()
    embed = bool(getattr(settings, "MOTCUA_SIGNING_EMBED_REVOCATION", False))
    vc = None
    if embed:
        from pyhanko_certvalidator import ValidationContext

        vc = ValidationContext(trust_roots=trust_roots(), allow_fetching=True)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=identity.common_name,
        embed_validation_info=embed,
        validation_context=vc,
    )
    spec = None
    if where is not None:
        spec = fields.SigFieldSpec(FIELD_NAME, on_page=where.page, box=where.box)
    signer = _pdf_signer_class()(
        meta,
        identity.signer(),
        timestamper=tsa,
        # The page already shows who signed and when (drawn with a Vietnamese font): the field is the clickable
        # area over it, with no appearance of its own.
        stamp_style=NoOpStampStyle(),
        new_field_spec=spec,
        signing_time=signing_time,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    reserved = RESERVED_BYTES if identity.source == "dev" and tsa is None and not embed else None
    return _outside_event_loop(signer.sign_pdf, writer, bytes_reserved=reserved).getvalue()


# --- checking ----------------------------------------------------------------------------------------------


@dataclass
class SignatureCheck:
    """One embedded signature, as judged against our trust anchors."""

    field_name: str
    intact: bool  # the digest in the signature matches the bytes it covers
    valid: bool  # the signature over that digest verifies with the certificate's key
    trusted: bool  # the certificate chains to one of our anchors (and has the right key usage)
    covers_file: bool  # nothing but harmless updates after the signed revision
    signer_subject: str = ""
    signer_common_name: str = ""
    signer_serial_attr: str = ""  # the subject's serialNumber attribute (our agency code on dev certificates)
    signer_fingerprint: str = ""
    signing_time: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    signed_revision_sha256: str = ""  # sha256 of the bytes up to the end of this signature's byte range
    error: str = ""

    @property
    def sound(self) -> bool:
        return self.intact and self.valid and self.covers_file


@dataclass
class PdfCheck:
    readable: bool
    signatures: list[SignatureCheck] = field(default_factory=list)
    error: str = ""


def check_pdf(data: bytes) -> PdfCheck:
    """Read the PDF and judge each signature; never raises for a malformed file (it says so instead)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # any parser error means: not a document we can read
        return PdfCheck(readable=False, error=f"{type(exc).__name__}: {exc}"[:300])
    out = PdfCheck(readable=True)
    roots = trust_roots()
    allow_fetching = bool(getattr(settings, "MOTCUA_VERIFY_ALLOW_FETCHING", False))
    for sig in embedded:
        check = SignatureCheck(
            field_name=str(sig.field_name), intact=False, valid=False, trusted=False, covers_file=False
        )
        try:
            cert = sig.signer_cert
            check.signer_subject = cert.subject.human_friendly
            native = cert.subject.native
            check.signer_common_name = str(native.get("common_name") or "")
            check.signer_serial_attr = str(native.get("serial_number") or "")
            check.signer_fingerprint = hashlib.sha256(cert.dump()).hexdigest()
            check.signing_time = sig.self_reported_timestamp
            br = sig.byte_range
            check.signed_revision_sha256 = hashlib.sha256(data[: br[2] + br[3]]).hexdigest()
            vc = ValidationContext(trust_roots=roots, allow_fetching=allow_fetching)
            status = _outside_event_loop(validate_pdf_signature, sig, signer_validation_context=vc)
            check.intact, check.valid, check.trusted = bool(status.intact), bool(status.valid), bool(status.trusted)
            harmless = (None, ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
            check.covers_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
                status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.modification_level in harmless
            )
            if status.timestamp_validity is not None:
                check.timestamp = status.timestamp_validity.timestamp
        except Exception as exc:  # a broken CMS blob can fail anywhere inside the parsers: not sound, say why
            check.error = f"{type(exc).__name__}: {exc}"[:300]
        out.signatures.append(check)
    return out
