"""The demo province's agency tree, built from the official administrative-unit list."""

from __future__ import annotations

import re

import pytest

from motcua.catalog.agencies import commune_code, ensure_province_agencies, unit_code
from motcua.catalog.models import Agency, AgencyKind

pytestmark = pytest.mark.django_db


def test_creates_the_province_tree_with_54_communes():
    # given an empty database / when the province's agencies are ensured
    result = ensure_province_agencies(22)
    # then the People's Committee is the root, with the centre, departments and one agency per commune
    root = Agency.objects.get(code="000.00.00.H49")
    assert (root.name, root.kind, root.parent_id) == ("UBND tỉnh Quảng Ninh", AgencyKind.PROVINCE, None)
    communes = Agency.objects.filter(kind=AgencyKind.COMMUNE)
    assert communes.count() == result["communes"] == 54
    assert not Agency.objects.exclude(pk=root.pk).exclude(parent=root).exists()
    assert (
        Agency.objects.get(kind=AgencyKind.SERVICE_CENTRE).name == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    )
    assert Agency.objects.get(kind=AgencyKind.POLICE).name == "Công an tỉnh Quảng Ninh"
    assert Agency.objects.get(kind=AgencyKind.SOCIAL_INSURANCE).name == "Bảo hiểm xã hội tỉnh Quảng Ninh"
    names = set(Agency.objects.values_list("name", flat=True))
    assert {"Sở Tư pháp tỉnh Quảng Ninh", "Sở Tài chính tỉnh Quảng Ninh", "Ban Quản lý Khu kinh tế Quảng Ninh"} <= names
    assert {"UBND phường Hạ Long", "UBND xã Tiên Yên", "UBND đặc khu Vân Đồn"} <= names
    # and codes have the identifier-standard shape, are unique, and communes carry their 5-digit code
    codes = list(Agency.objects.values_list("code", flat=True))
    assert all(re.fullmatch(r"000\.\d{2}\.\d{2}\.H49", c) for c in codes) and len(set(codes)) == len(codes)
    ha_long = Agency.objects.get(commune_code="06688")
    assert ha_long.code == result["codes"]["communes"]["06688"] and ha_long.province_code == "22"
    assert result["codes"]["ban_qlkkt"] == unit_code(22, 4) == "000.00.04.H49"


def test_is_idempotent_and_repairs_drift():
    ensure_province_agencies(22)
    before = Agency.objects.count()
    # given someone renamed a commune agency / when ensured again
    Agency.objects.filter(commune_code="06652").update(name="tên sai")
    again = ensure_province_agencies(22)
    # then nothing is added and the name is restored
    assert again["created"] == 0 and again["updated"] == 1
    assert Agency.objects.count() == before
    assert Agency.objects.get(commune_code="06652").name == "UBND phường Hà Tu"


def test_commune_codes_are_deterministic_by_ward_order():
    assert commune_code(22, 0) == "000.01.50.H49"
    assert commune_code(22, 98) == "000.99.50.H49"
    assert commune_code(22, 99) == "000.01.51.H49"
    ensure_province_agencies(22)
    first = Agency.objects.filter(kind=AgencyKind.COMMUNE).order_by("commune_code").first()
    assert (first.commune_code, first.code) == ("06652", "000.01.50.H49")


def test_query_count_is_small(django_assert_max_num_queries):
    ensure_province_agencies(22)
    with django_assert_max_num_queries(6):
        ensure_province_agencies(22)
