"""Personal ID numbers (structure and consistency with stated facts) and enterprise tax codes (check digit)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.core.identifiers import (
    PROVINCE_BIRTH_CODES,
    TAX_CODE_WEIGHTS,
    century_gender_digit,
    is_valid_personal_id,
    is_valid_tax_code,
    personal_id_facts,
    tax_code_check_digit,
    validate_personal_id,
    validate_tax_code,
)


def make_id(province: str, birth: date, gender: str, serial: int) -> str:
    return f"{province}{century_gender_digit(birth.year, gender)}{birth.year % 100:02d}{serial:06d}"


# --- personal ID numbers ---------------------------------------------------------------------------------------


def test_province_codes_are_the_63_pre_2025_provinces():
    assert len(PROVINCE_BIRTH_CODES) == 63
    assert PROVINCE_BIRTH_CODES["022"] == "Quảng Ninh"
    assert PROVINCE_BIRTH_CODES["001"] == "Hà Nội" and PROVINCE_BIRTH_CODES["079"] == "TP Hồ Chí Minh"
    assert all(len(code) == 3 and code.isdigit() for code in PROVINCE_BIRTH_CODES)


@pytest.mark.parametrize(
    ("year", "gender", "digit"),
    [
        (1900, "nam", 0),
        (1999, "nu", 1),
        (2000, "nam", 2),
        (2026, "nu", 3),
        (2100, "nam", 4),
        (2250, "nu", 7),
        (2399, "nam", 8),
        (2300, "nu", 9),
    ],
)
def test_century_gender_digit(year: int, gender: str, digit: int):
    assert century_gender_digit(year, gender) == digit


@pytest.mark.parametrize(("year", "gender"), [(1899, "nam"), (2400, "nu"), (1990, "male")])
def test_century_gender_digit_refuses_what_it_cannot_encode(year: int, gender: str):
    with pytest.raises(ValueError):
        century_gender_digit(year, gender)


def test_demo_citizens_numbers_are_consistent_with_their_facts():
    # given the demo citizens' numbers and stated facts
    cases = [
        ("022090001234", date(1990, 5, 14), "nam"),
        ("022192004567", date(1992, 8, 21), "nu"),
        ("022085007890", date(1985, 2, 2), "nam"),
        ("022301000321", date(2001, 1, 1), "nu"),
    ]
    for pid, born, gender in cases:
        # when validated against them, then nothing is raised
        validate_personal_id(pid, birth_date=born, gender=gender)
        assert is_valid_personal_id(pid)
    assert personal_id_facts("022301000321") == ("022", 2000, "nu", 1)


@pytest.mark.parametrize(
    ("pid", "message"),
    [
        ("02209000123", "12 chữ số"),
        ("0220900012345", "12 chữ số"),
        ("02209000123a", "12 chữ số"),
        ("０２２０９０００１２３４", "12 chữ số"),  # full-width digits are not ASCII digits
        ("003090001234", "«003»"),  # 003 is not a province code
        ("099090001234", "«099»"),
        ("022990001234", "tương lai"),  # digit 9 = 2300s
    ],
)
def test_malformed_numbers_are_refused_in_vietnamese(pid: str, message: str):
    with pytest.raises(ValueError, match=message):
        validate_personal_id(pid)
    assert not is_valid_personal_id(pid)


def test_stated_gender_must_match_the_fourth_digit():
    with pytest.raises(ValueError, match="giới tính"):
        validate_personal_id("022090001234", gender="nu")


def test_stated_birth_century_must_match_the_fourth_digit():
    with pytest.raises(ValueError, match="thế kỷ"):
        validate_personal_id("022090001234", birth_date=date(2090, 5, 14))


def test_stated_birth_year_must_match_digits_five_and_six():
    with pytest.raises(ValueError, match="5–6"):
        validate_personal_id("022090001234", birth_date=date(1991, 5, 14))


def test_an_unknown_gender_word_is_an_error_not_a_mismatch():
    with pytest.raises(ValueError, match="'nam' hoặc 'nu'"):
        validate_personal_id("022090001234", gender="male")


births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
provinces = st.sampled_from(sorted(PROVINCE_BIRTH_CODES))
genders = st.sampled_from(["nam", "nu"])
serials = st.integers(min_value=0, max_value=999_999)


@given(provinces, births, genders, serials)
def test_every_consistent_number_validates(province: str, born: date, gender: str, serial: int):
    pid = make_id(province, born, gender, serial)
    validate_personal_id(pid, birth_date=born, gender=gender)
    assert personal_id_facts(pid) == (province, born.year // 100 * 100, gender, born.year % 100)


@given(provinces, births, genders, serials)
def test_flipping_the_gender_digit_is_caught_when_gender_is_given(province, born, gender, serial):
    pid = make_id(province, born, gender, serial)
    digit = int(pid[3])
    flipped = f"{pid[:3]}{digit ^ 1}{pid[4:]}"  # same century, other gender
    with pytest.raises(ValueError, match="giới tính"):
        validate_personal_id(flipped, birth_date=born, gender=gender)


# --- tax codes -------------------------------------------------------------------------------------------------


def generated_valid_codes(count: int, seed: int = 22) -> list[str]:
    rng = random.Random(seed)
    codes = []
    while len(codes) < count:
        first9 = f"{rng.randrange(1_000_000_000):09d}"
        check = tax_code_check_digit(first9)
        if check is not None:
            codes.append(first9 + str(check))
    return codes


def test_check_digit_follows_the_official_weights():
    # given the first nine digits of a real tax code (0100109106)
    first9 = "010010910"
    # when the weighted sum is taken modulo 11
    total = sum(int(d) * w for d, w in zip(first9, TAX_CODE_WEIGHTS, strict=True))
    # then the check digit is 10 minus it
    assert tax_code_check_digit(first9) == 10 - total % 11 == 6
    validate_tax_code("0100109106")


def test_generated_codes_validate_and_every_other_last_digit_fails():
    for code in generated_valid_codes(300):
        validate_tax_code(code)
        for wrong in set("0123456789") - {code[9]}:
            assert not is_valid_tax_code(code[:9] + wrong)


def test_nine_digits_that_would_need_a_check_of_ten_have_no_valid_code():
    # a weighted sum that is a multiple of 11 leaves 10 - 0 = 10: no single digit fits
    first9 = next(f"{n:09d}" for n in range(10**9) if tax_code_check_digit(f"{n:09d}") is None)
    assert all(not is_valid_tax_code(first9 + d) for d in "0123456789")


def test_branch_codes_carry_a_valid_parent_and_a_three_digit_sequence():
    parent = generated_valid_codes(1)[0]
    validate_tax_code(f"{parent}-001")
    validate_tax_code(f"{parent}999")  # 13 digits without the hyphen, as older documents write it
    with pytest.raises(ValueError, match="001 đến 999"):
        validate_tax_code(f"{parent}-000")
    with pytest.raises(ValueError, match="kiểm tra"):
        validate_tax_code(f"{parent[:9]}{(int(parent[9]) + 1) % 10}-001")


@pytest.mark.parametrize("code", ["", "57012345", "570123456612", "57012345a6", "5701234566-01", "5701234566_001"])
def test_malformed_tax_codes_are_refused(code: str):
    with pytest.raises(ValueError):
        validate_tax_code(code)
    assert not is_valid_tax_code(code)
