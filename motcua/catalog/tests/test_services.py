"""Loading the catalogue: idempotent, versioned by definition hash, fast; search and detail for other apps."""

from __future__ import annotations

import gzip
import json
import shutil
import time
from pathlib import Path

import pytest

from motcua.catalog import selectors, services
from motcua.catalog.models import Agency, AgencyKind, OnlineLevel, Procedure, ProcedureOffering, ProcedureVersion
from motcua.core.errors import NotFound

from .test_importer import shared_or_skip

pytestmark = pytest.mark.django_db

SHIPPED_CODES = ("1.001193", "1.000656", "1.004222", "1.003197", "1.009664", "1.000689", "2.000497")


@pytest.fixture
def small_catalogue(tmp_path) -> Path:
    """A few real records of the shipped file (the five hand-made ones and two plain ones)."""
    records = [r for r in services.read_catalog() if r["code"] in SHIPPED_CODES]
    path = tmp_path / "procedures.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def definitions_dir(tmp_path) -> Path:
    target = tmp_path / "definitions"
    shutil.copytree(services.DEFINITIONS_DIR, target)
    return target


def test_shipped_file_is_sorted_nfc_and_lean():
    records = services.read_catalog()
    codes = [r["code"] for r in records]
    assert len(codes) == 2849 and codes == sorted(codes)
    assert services.DATA_FILE.stat().st_size < 4 * 1024 * 1024
    assert "Nộp hồ sơ" not in "".join(r["result_text"][-20:] for r in records)


def test_load_twice_creates_nothing_new(small_catalogue):
    # given an empty database / when the catalogue is loaded twice
    first = services.load_catalog(small_catalogue)
    counts = (Procedure.objects.count(), ProcedureVersion.objects.count(), ProcedureOffering.objects.count(),
              Agency.objects.count())  # fmt: skip
    second = services.load_catalog(small_catalogue)
    # then the second run changes nothing
    assert first["procedures_created"] == len(SHIPPED_CODES) and first["versions_created"] == len(SHIPPED_CODES)
    assert first["hand_made"] == 5
    assert second["procedures_created"] == second["procedures_updated"] == 0
    assert second["versions_created"] == 0 and second["versions_unchanged"] == len(SHIPPED_CODES)
    assert second["offerings_created"] == 0 and second["agencies_created"] == 0
    assert counts == (Procedure.objects.count(), ProcedureVersion.objects.count(),
                      ProcedureOffering.objects.count(), Agency.objects.count())  # fmt: skip


def test_loaded_procedure_fields_and_versions(small_catalogue):
    services.load_catalog(small_catalogue)
    birth = Procedure.objects.get(code="1.001193")
    assert birth.search_text == "1.001193 thu tuc dang ky khai sinh ho tich"
    assert birth.level == "Cấp xã" and birth.legal_basis and birth.channels
    version = services.current_version(birth)
    assert version.hand_made and version.number == 1
    assert version.time_value == 0 and version.time_unit == "working_days"
    assert version.cutoff.strftime("%H:%M") == "15:00" and version.supplement_days == 7
    assert version.form_schema["title"] == "Tờ khai đăng ký khai sinh"
    plain = services.current_version(Procedure.objects.get(code="1.000689"))
    assert not plain.hand_made and plain.workflow["steps"][0]["code"] == "xu_ly"
    assert plain.form_schema["properties"]["so_dinh_danh"]["pattern"] == r"^\d{12}$"
    assert all("required" in d for d in plain.documents)


def test_changed_definition_creates_the_next_version(small_catalogue, definitions_dir):
    # given a loaded catalogue
    services.load_catalog(small_catalogue, definitions_dir=definitions_dir)
    birth = Procedure.objects.get(code="1.001193")
    v1 = services.current_version(birth)
    # when the birth definition changes (a new supplement period) and the catalogue is reloaded
    path = definitions_dir / "1.001193.json"
    definition = json.loads(path.read_text(encoding="utf-8"))
    definition["supplement_days"] = 5
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    counts = services.load_catalog(small_catalogue, definitions_dir=definitions_dir)
    # then version 2 is current, version 1 is kept but no longer current, nothing else changed
    assert counts["versions_created"] == 1 and counts["versions_replaced"] == 1
    v2 = services.current_version(birth)
    assert (v2.number, v2.supplement_days, v2.is_current) == (2, 5, True)
    v1.refresh_from_db()
    assert v1.is_current is False
    # and reloading again is stable
    assert services.load_catalog(small_catalogue, definitions_dir=definitions_dir)["versions_created"] == 0


def test_admin_edit_is_not_reverted_by_a_reload(small_catalogue):
    services.load_catalog(small_catalogue)
    version = ProcedureVersion.objects.get(procedure__code="1.000689", is_current=True)
    version.supplement_days = 3
    version.save()
    assert services.load_catalog(small_catalogue)["versions_created"] == 0
    version.refresh_from_db()
    assert version.supplement_days == 3


def test_offerings_by_level(small_catalogue):
    services.load_catalog(small_catalogue)
    communes = Agency.objects.filter(kind=AgencyKind.COMMUNE).count()
    assert communes == 54
    birth = ProcedureOffering.objects.filter(procedure__code="1.001193")
    assert birth.count() == communes and {o.online_level for o in birth} == {OnlineLevel.FULL}
    investment = ProcedureOffering.objects.filter(procedure__code="1.009664").select_related("agency")
    assert {o.agency.kind for o in investment} == {AgencyKind.SERVICE_CENTRE, AgencyKind.DEPARTMENT}
    assert {o.agency.name for o in investment} >= {"Ban Quản lý Khu kinh tế Quảng Ninh"}
    assert {o.online_level for o in investment} == {OnlineLevel.FULL}
    removal = ProcedureOffering.objects.filter(procedure__code="1.003197")
    assert removal.count() == communes


def test_load_without_offerings(small_catalogue):
    counts = services.load_catalog(small_catalogue, offerings_province=None)
    assert "offerings" not in counts and ProcedureOffering.objects.count() == 0 and Agency.objects.count() == 0


def test_full_shipped_catalogue_loads_fast_and_idempotently():
    # given the whole shipped catalogue / when loaded twice
    started = time.perf_counter()
    first = services.load_catalog()
    elapsed = time.perf_counter() - started
    second = services.load_catalog()
    # then everything is there once (the 2,849 scraped and the local death group), within the time budget
    assert first["procedures_created"] == 2850 and first["versions_created"] == 2850
    assert first["offerings"] > 30000
    assert second["versions_created"] == second["procedures_updated"] == second["offerings_created"] == 0
    assert ProcedureVersion.objects.filter(is_current=True).count() == 2850
    assert ProcedureVersion.objects.filter(hand_made=True).count() == 7
    assert elapsed < 30


def test_search_with_and_without_diacritics(small_catalogue):
    services.load_catalog(small_catalogue)
    # given a user typing without accents / then the plain birth registration comes first
    plain = list(selectors.search_procedures("dang ky khai sinh"))
    accented = list(selectors.search_procedures("Đăng ký  KHAI SINH"))
    assert plain[0].code == "1.001193" and plain == accented
    assert "1.000689" in [p.code for p in plain]  # '… kết hợp đăng ký nhận cha, mẹ, con' matches too
    # every word must match
    assert list(selectors.search_procedures("khai sinh thuong tru")) == []


def test_search_exact_code_first_paging_and_empty_query(small_catalogue):
    services.load_catalog(small_catalogue)
    assert [p.code for p in selectors.search_procedures("1.004222")] == ["1.004222"]
    everything = selectors.search_procedures("", limit=None)
    assert [p.code for p in everything] == sorted(SHIPPED_CODES)
    page = selectors.search_procedures("", limit=2, offset=2)
    assert [p.code for p in page] == sorted(SHIPPED_CODES)[2:4]
    assert selectors.search_procedures("", limit=None).count() == len(SHIPPED_CODES)


def test_search_offerable_only(small_catalogue):
    services.load_catalog(small_catalogue)
    ProcedureOffering.objects.filter(procedure__code="1.000689").delete()
    offerable = [p.code for p in selectors.search_procedures("khai sinh", offerable_only=True)]
    assert "1.001193" in offerable and "1.000689" not in offerable


def test_procedure_detail_prefetches_offerings_and_current_version(small_catalogue, django_assert_num_queries):
    services.load_catalog(small_catalogue)
    with django_assert_num_queries(3):
        procedure = selectors.procedure_detail("1.009664")
        version = services.current_version(procedure)
        agencies = [o.agency.name for o in procedure.offerings.all()]
    assert version.is_current and len(agencies) == 2
    with pytest.raises(NotFound) as exc:
        selectors.procedure_detail("9.999999")
    assert "Không tìm thấy thủ tục" in exc.value.detail


def test_current_version_missing_is_not_found(db):
    procedure = Procedure.objects.create(code="9.000001", name="Thủ tục thử")
    with pytest.raises(NotFound):
        services.current_version(procedure)


def test_write_catalog_is_deterministic(tmp_path):
    source = shared_or_skip()
    a, b = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    coverage = services.write_catalog(source, a)
    services.write_catalog(source, b)
    assert a.read_bytes() == b.read_bytes() == services.DATA_FILE.read_bytes()
    assert coverage["procedures"] == 2849


def test_the_offering_summary_is_kept_for_a_while_and_forgotten_when_the_catalogue_is_loaded(world, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.catalog.models import ProcedureOffering
    from motcua.catalog.selectors import forget_offering_summary, offering_summary

    # given the catalogue's summary read once
    settings.MOTCUA_CATALOG_CACHE_SECONDS = 60
    first = offering_summary()
    assert (
        sum(n for levels in first.values() for n, _done in levels.values())
        == ProcedureOffering.objects.filter(is_active=True, procedure__is_active=True).count()
    )
    # when it is asked again within the cache time, it is not read again
    with CaptureQueriesContext(connection) as ctx:
        assert offering_summary() == first
    assert len(ctx.captured_queries) == 0
    # when an offering closes, the summary is the same until it is forgotten (as the loader does), then it is read
    ProcedureOffering.objects.filter(agency=world.agency, procedure=world.procedure).update(is_active=False)
    assert offering_summary() == first
    forget_offering_summary()
    after = offering_summary()
    assert after != first
    assert world.agency.id not in after or sum(n for n, _ in after[world.agency.id].values()) < sum(
        n for n, _ in first[world.agency.id].values()
    )
    # and with no cache time, every call reads the catalogue
    settings.MOTCUA_CATALOG_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as ctx:
        offering_summary()
        offering_summary()
    assert len(ctx.captured_queries) == 2
