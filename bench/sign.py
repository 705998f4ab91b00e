"""Benchmark (not a test): signed e-results per second on one core, and verifications per second.

Run: .venv/bin/python bench/sign.py [--n 200]
- render + sign: the birth-registration extract (Trích lục khai sinh) drawn from the demo declaration with its QR
  code, then PAdES-signed (EC P-256, SHA-256, certificate chain embedded) — what issuing one e-result costs,
  without the database rows around it;
- sign only: the same unsigned PDF signed again and again;
- verify: pyHanko's validation of the signed PDF against the development root (digest, ECDSA, chain, coverage) —
  what the public page does before one indexed database look-up.
An RSA-2048 key is signed with too, as the contrast the stack notes mention. The process is pinned to one CPU.
A throw-away development PKI is made in a temporary directory. Writes bench/results/sign.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MOTCUA_DATA_DIR", tempfile.mkdtemp(prefix="motcua-bench-sign-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

import django  # noqa: E402

django.setup()

from motcua.catalog.examples import EXAMPLES  # noqa: E402
from motcua.catalog.models import Agency, AgencyKind, Procedure, ProcedureVersion  # noqa: E402
from motcua.dossiers.models import Dossier  # noqa: E402
from motcua.results import pki, signing, templates_pdf  # noqa: E402

UTC = dt.UTC


def in_memory_dossier() -> Dossier:
    """A birth registration with its structured result, never saved: rendering reads attributes only."""
    definition = json.loads((ROOT / "motcua/catalog/definitions/1.001193.json").read_text(encoding="utf-8"))
    province = Agency(code="000.00.00.H49", name="UBND tỉnh Quảng Ninh", kind=AgencyKind.PROVINCE, province_code="22")
    agency = Agency(
        code="000.01.50.H49",
        name="UBND phường Hà Tu",
        kind=AgencyKind.COMMUNE,
        province_code="22",
        commune_code="06652",
    )
    agency.parent = province
    agency.parent_id = 0
    procedure = Procedure(code="1.001193", name="Thủ tục đăng ký khai sinh")
    version = ProcedureVersion(procedure=procedure, number=1, form_schema=definition["form_schema"])
    return Dossier(
        code="000.01.50.H49-261128-0001",
        procedure=procedure,
        version=version,
        agency=agency,
        applicant_name="Trần Thị Bích",
        data=dict(EXAMPLES["1.001193"]),
        result={
            "so_trich_luc": "1/2026/TLKS",
            "so_dinh_danh": "022226472620",
            "ngay_dang_ky": "2026-11-28",
            "co_quan": agency.name,
        },
    )


def rsa_identity() -> pki.SigningIdentity:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA-2048 contrast")])
    now = dt.datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return pki.SigningIdentity("RSA", pki._asn1_cert(cert), pki._asn1_key(key), (), "configured")


def per_second(fn, n: int) -> tuple[float, float, float]:
    """(operations per second, median ms, p95 ms) over n calls after 5 warm-up calls."""
    for _ in range(5):
        fn()
    gc.collect()
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    times.sort()
    return n / total, statistics.median(times) * 1000, times[int(0.95 * (n - 1))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200, help="operations per measurement")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sign.json")
    args = ap.parse_args()
    pinned = False
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        pinned = True

    dossier = in_memory_dossier()
    template = templates_pdf.choose("1.001193", 1)
    identity = pki.identity_for(dossier.agency)
    signed_at = dt.datetime.now(UTC).replace(microsecond=0)

    def render():
        ri = templates_pdf.RenderInput(
            dossier=dossier,
            result=dossier.result,
            number="000.01.50.H49-KQ2026-000001",
            doc_number="1/2026/TLKS",
            verify_url="http://127.0.0.1:8000/xac-minh/Vx1yQk3bq2r9bQm0yQ0bT0vQ3aF3m9sE/",
            signed_at=signed_at,
            signer_name=identity.common_name,
            approver="Vũ Thị Hương",
        )
        return templates_pdf.render(template, ri)

    unsigned, where = render()

    def sign(who=identity):
        return signing.sign_pdf(unsigned, who, signing_time=signed_at, reason="bench", location="Hà Tu", where=where)

    def render_and_sign():
        data, box = render()
        return signing.sign_pdf(data, identity, signing_time=signed_at, reason="bench", location="Hà Tu", where=box)

    signed = sign()
    check = signing.check_pdf(signed)
    assert check.signatures and check.signatures[0].sound and check.signatures[0].trusted, check

    def verify():
        return signing.check_pdf(signed)

    other = rsa_identity()
    n = args.n
    r_render = per_second(render, n)
    r_both = per_second(render_and_sign, n)
    r_sign = per_second(sign, n)
    r_rsa = per_second(lambda: sign(other), max(n // 4, 20))
    r_verify = per_second(verify, n)

    def entry(rate: tuple[float, float, float]) -> dict:
        return {"per_second": round(rate[0], 1), "median_ms": round(rate[1], 2), "p95_ms": round(rate[2], 2)}

    result = {
        "benchmark": "results.sign",
        "timestamp": dt.datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "pinned_to_one_cpu": pinned,
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "operations_per_measurement": n,
        "document": {"template": template.code, "unsigned_bytes": len(unsigned), "signed_bytes": len(signed)},
        "key": "EC P-256 (secp256r1), SHA-256, PAdES B-B, chain of 2 embedded, no timestamp",
        "render_only": entry(r_render),
        "render_and_sign": entry(r_both),
        "sign_only": entry(r_sign),
        "sign_only_rsa_2048": entry(r_rsa),
        "verify": entry(r_verify),
    }
    rows = [
        ("render + sign (EC P-256), results/s", r_both),
        ("sign only (EC P-256), signatures/s", r_sign),
        ("render only, PDFs/s", r_render),
        ("verify (pyHanko, dev root), checks/s", r_verify),
        ("sign only (RSA-2048, contrast), signatures/s", r_rsa),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"motcua e-result signing benchmark · Python {platform.python_version()} · one CPU" + ("" if pinned else "?"))
    print(f"{'':<{width}}  {'per s':>8}  {'median ms':>9}  {'p95 ms':>7}")
    for name, (rate, median, p95) in rows:
        print(f"{name:<{width}}  {rate:>8.1f}  {median:>9.1f}  {p95:>7.1f}")
    print(f"signed PDF {len(signed):,} bytes (unsigned {len(unsigned):,})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
