"""Results issued inside motcua when an agency's officials finish a (sub-)dossier: register numbers, and the
child's personal ID number for a birth registration — the data the next agencies need, never retyped.

Numbers come from per-agency yearly counters (`ResultNumber`, one atomic UPDATE … RETURNING-style upsert under
a row lock). The six serial digits of a new personal ID are a bijective scramble of a per-prefix counter: unique
by construction, yet not guessable in sequence.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from motcua.core.identifiers import century_gender_digit, validate_personal_id
from motcua.dossiers.models import Dossier
from motcua.worktime.calc import TZ

from .models import ResultNumber

_SCRAMBLE_A, _SCRAMBLE_B, _SERIAL_SPACE = 367_891, 104_729, 1_000_000  # A coprime to 10^6: a bijection


def next_number(agency_id: int, series: str, year: int) -> int:
    with transaction.atomic():
        row, _ = ResultNumber.objects.select_for_update().get_or_create(agency_id=agency_id, series=series, year=year)
        row.last += 1
        row.save(update_fields=["last"])
        return row.last


def new_personal_id(agency_id: int, province_code: str, birth: date, gender: str) -> str:
    """A new 12-digit personal ID: province of birth registration, century/gender digit, year, 6 serial digits."""
    prefix = f"{int(province_code):03d}{century_gender_digit(birth.year, gender)}{birth.year % 100:02d}"
    n = next_number(agency_id, f"ID{prefix}", 0)
    if n > _SERIAL_SPACE:
        raise RuntimeError("Hết dãy số định danh cho tổ hợp tỉnh/năm/giới tính này.")
    pid = f"{prefix}{(_SCRAMBLE_A * n + _SCRAMBLE_B) % _SERIAL_SPACE:06d}"
    validate_personal_id(pid, birth_date=birth, gender=gender)
    return pid


def _today() -> date:
    return timezone.now().astimezone(TZ).date()


def _birth(dossier: Dossier) -> dict:
    data, today = dossier.data, _today()
    birth = date.fromisoformat(data["ks_ngay_sinh"])
    number = next_number(dossier.agency_id, "TLKS", today.year)
    return {
        "so_trich_luc": f"{number}/{today.year}/TLKS",
        "so_dinh_danh": new_personal_id(dossier.agency_id, dossier.agency.province_code, birth, data["ks_gioi_tinh"]),
        "ho_ten": data.get("ks_ho_ten", ""),
        "ngay_sinh": data["ks_ngay_sinh"],
        "gioi_tinh": data["ks_gioi_tinh"],
        "ngay_dang_ky": today.isoformat(),
        "co_quan": dossier.agency.name,
    }


def _death(dossier: Dossier) -> dict:
    data, today = dossier.data, _today()
    number = next_number(dossier.agency_id, "TLKT", today.year)
    return {
        "so_trich_luc": f"{number}/{today.year}/TLKT",
        "ho_ten": data.get("kt_ho_ten", ""),
        "so_dinh_danh": data.get("kt_so_dinh_danh", ""),
        "ngay_chet": data.get("kt_ngay_chet", ""),
        "ngay_dang_ky": today.isoformat(),
        "co_quan": dossier.agency.name,
    }


def _generic(dossier: Dossier) -> dict:
    today = _today()
    number = next_number(dossier.agency_id, "KQ", today.year)
    return {"so_van_ban": f"{number}/{today.year}/KQ", "ngay_ky": today.isoformat(), "co_quan": dossier.agency.name}


ISSUERS = {"1.001193": _birth, "1.000656": _death}


def issue_result(dossier: Dossier) -> dict:
    """Issue (once) the structured result of a dossier whose result is ready; stored on the dossier."""
    if dossier.result:
        return dossier.result
    try:
        dossier.result = ISSUERS.get(dossier.procedure.code, _generic)(dossier)
    except (KeyError, ValueError, TypeError):  # a declaration of another shape (older version): numbers only
        dossier.result = _generic(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(result=dossier.result)
    return dossier.result
