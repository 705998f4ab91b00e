"""The demo province's agencies, built from the official administrative-unit list (vietnam-provinces).

Unit codes follow the shape of the national e-document identifier standard ("X.Y.Z.Hxx": level 1 is the province
group "Hxx", level 2 the third group, level 3 the second). The real codes of the demo province are not in our
data: these are demo-assigned, deterministic, and must be replaced per deployment (see docs/catalog.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from vietnam_provinces import Province, Ward

from .models import Agency, AgencyKind

# Level-1 group of the demo province's unit codes (demo-assigned for Quảng Ninh; others get H + province code).
LEVEL1 = {22: "H49"}
COMMUNE_GROUP = 50  # communes sit as level-3 units under a notional level-2 group 50, 51, … (99 per group)


@dataclass(frozen=True)
class AgencySpec:
    key: str
    name: str
    kind: str
    level2: int


def level1(province_code: int) -> str:
    return LEVEL1.get(province_code, f"H{province_code:02d}")


def unit_code(province_code: int, level2: int = 0, level3: int = 0) -> str:
    """'000.<level 3>.<level 2>.<level 1>', e.g. unit_code(22, 3) == '000.00.03.H49'."""
    return f"000.{level3:02d}.{level2:02d}.{level1(province_code)}"


def commune_code(province_code: int, index: int) -> str:
    """The index-th commune (0-based, by ascending ward code) → '000.01.50.H49', '000.02.50.H49', …"""
    return unit_code(province_code, COMMUNE_GROUP + index // 99, index % 99 + 1)


def _province_specs(province_name: str) -> list[AgencySpec]:
    short = province_name
    return [
        AgencySpec("service_centre", f"Trung tâm Phục vụ hành chính công tỉnh {short}", AgencyKind.SERVICE_CENTRE, 1),
        AgencySpec("so_tu_phap", f"Sở Tư pháp tỉnh {short}", AgencyKind.DEPARTMENT, 2),
        AgencySpec("so_tai_chinh", f"Sở Tài chính tỉnh {short}", AgencyKind.DEPARTMENT, 3),
        AgencySpec("ban_qlkkt", f"Ban Quản lý Khu kinh tế {short}", AgencyKind.DEPARTMENT, 4),
        AgencySpec("cong_an", f"Công an tỉnh {short}", AgencyKind.POLICE, 5),
        AgencySpec("bhxh", f"Bảo hiểm xã hội tỉnh {short}", AgencyKind.SOCIAL_INSURANCE, 6),
        AgencySpec("so_noi_vu", f"Sở Nội vụ tỉnh {short}", AgencyKind.DEPARTMENT, 7),
        AgencySpec("so_y_te", f"Sở Y tế tỉnh {short}", AgencyKind.DEPARTMENT, 8),
        AgencySpec("so_xay_dung", f"Sở Xây dựng tỉnh {short}", AgencyKind.DEPARTMENT, 9),
        AgencySpec("so_nn_mt", f"Sở Nông nghiệp và Môi trường tỉnh {short}", AgencyKind.DEPARTMENT, 10),
        AgencySpec("so_cong_thuong", f"Sở Công Thương tỉnh {short}", AgencyKind.DEPARTMENT, 11),
        AgencySpec("so_gd_dt", f"Sở Giáo dục và Đào tạo tỉnh {short}", AgencyKind.DEPARTMENT, 12),
        AgencySpec("so_kh_cn", f"Sở Khoa học và Công nghệ tỉnh {short}", AgencyKind.DEPARTMENT, 13),
        AgencySpec("so_vh_tt_dl", f"Sở Văn hóa, Thể thao và Du lịch tỉnh {short}", AgencyKind.DEPARTMENT, 14),
    ]


def _commune_name(ward: Ward) -> str:
    """'Phường An Sinh' → 'UBND phường An Sinh' (the division type in lower case, as official titles write it)."""
    kind = str(ward.division_type.value)
    name = ward.name
    if name.lower().startswith(kind):
        name = kind + name[len(kind) :]
    return f"UBND {name}"


@transaction.atomic
def ensure_province_agencies(province_code: int = 22) -> dict[str, Any]:
    """Create or update the province's agency tree; idempotent. Returns counts and the agency codes by role.

    `codes` maps 'province', 'service_centre', 'so_tu_phap', 'ban_qlkkt', 'cong_an', 'bhxh', … and
    'communes' (commune_code → agency code) so callers never look agencies up by name.
    """
    province = Province.from_code(province_code)
    pcode = f"{province_code:02d}"
    wanted: list[dict[str, Any]] = [
        {"code": unit_code(province_code), "name": f"UBND tỉnh {province.name}", "kind": AgencyKind.PROVINCE,
         "commune_code": "", "key": "province"},
    ]  # fmt: skip
    for spec in _province_specs(province.name):
        wanted.append(
            {"code": unit_code(province_code, spec.level2), "name": spec.name, "kind": spec.kind, "commune_code": "",
             "key": spec.key}
        )  # fmt: skip
    wards = sorted(Ward.iter_by_province(province_code), key=lambda w: int(w.code))
    for index, ward in enumerate(wards):
        wanted.append(
            {"code": commune_code(province_code, index), "name": _commune_name(ward), "kind": AgencyKind.COMMUNE,
             "commune_code": f"{int(ward.code):05d}", "key": None}
        )  # fmt: skip

    existing = {a.code: a for a in Agency.objects.filter(code__in=[w["code"] for w in wanted])}
    root_code = wanted[0]["code"]
    root = existing.get(root_code)
    created = 0
    if root is None:
        root = Agency.objects.create(
            code=root_code, name=wanted[0]["name"], kind=AgencyKind.PROVINCE, province_code=pcode
        )
        existing[root_code] = root
        created += 1
    to_create, to_update = [], []
    for item in wanted:
        parent_id = None if item["code"] == root_code else root.id
        agency = existing.get(item["code"])
        if agency is None:
            to_create.append(
                Agency(code=item["code"], name=item["name"], kind=item["kind"], parent_id=parent_id,
                       province_code=pcode, commune_code=item["commune_code"])
            )  # fmt: skip
            continue
        changed = False
        for field, value in (
            ("name", item["name"]), ("kind", item["kind"]), ("parent_id", parent_id), ("province_code", pcode),
            ("commune_code", item["commune_code"]),
        ):  # fmt: skip
            if getattr(agency, field) != value:
                setattr(agency, field, value)
                changed = True
        if changed:
            to_update.append(agency)
    Agency.objects.bulk_create(to_create, ignore_conflicts=True)
    if to_update:
        Agency.objects.bulk_update(to_update, ["name", "kind", "parent", "province_code", "commune_code"])
    created += len(to_create)
    codes: dict[str, Any] = {item["key"]: item["code"] for item in wanted if item["key"]}
    codes["communes"] = {item["commune_code"]: item["code"] for item in wanted if item["kind"] == AgencyKind.COMMUNE}
    return {
        "province": province.name,
        "agencies": len(wanted),
        "communes": len(wards),
        "created": created,
        "updated": len(to_update),
        "codes": codes,
    }
