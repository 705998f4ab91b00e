"""Vietnamese normalisation, tokens, segmentation and the abbreviation table, on their own."""

import unicodedata

import pytest

from motcua.assistant.retrieval import text as vt


@pytest.mark.parametrize(
    ("old", "new"),
    [("hòa", "hoà"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"), ("Hòa Bình", "hoà bình"), ("lòe", "loè"), ("tùy", "tuỳ")],
)
def test_old_and_new_tone_placement_normalise_to_one_form(old, new):
    assert vt.normalize(old) == vt.normalize(new) == new.lower()


@pytest.mark.parametrize("word", ["người", "quyết", "hoàng", "giá", "gìn", "quý", "khuỷu", "hoài", "của", "được"])
def test_words_whose_tone_has_one_place_are_unchanged(word):
    assert vt.normalize(word) == word


def test_nfc_nfd_and_case_are_one_form():
    nfd = unicodedata.normalize("NFD", "ĐIỀU KHOẢN Thi Hành")
    assert vt.normalize(nfd) == "điều khoản thi hành"
    assert vt.tokens(nfd) == ["điều", "khoản", "thi", "hành"]


def test_fold_removes_all_diacritics():
    assert vt.fold("Đơn phương chấm dứt hợp đồng — Hòa giải") == "don phuong cham dut hop dong — hoa giai"
    assert vt.has_diacritics("Điều 5") and not vt.has_diacritics("Dieu 5 luat vien chuc")


def test_tokens_keep_numbers_and_bigrams_pair_neighbours():
    assert vt.tokens("Nghị định 100/2019/NĐ-CP") == ["nghị", "định", "100", "2019", "nđ", "cp"]
    assert vt.bigrams(["ma", "tuý", "tổng"]) == ["ma_tuý", "tuý_tổng"]


def test_segmentation_joins_compound_words():
    words = vt.segment("Người nghiện ma túy bị xử lý hành chính")
    assert "ma_tuý" in words and "xử_lý" in words and "hành_chính" in words


def test_abbreviations_and_synonyms_expand():
    assert vt.expansions("Cấp CCCD cho NLĐ theo BLLĐ") == ["căn cước công dân", "người lao động", "bộ luật lao động"]
    assert vt.expansions("UBND cấp xã, BHYT, BHXH") == ["uỷ ban nhân dân", "bảo hiểm y tế", "bảo hiểm xã hội"]
    assert vt.expansions("làm sổ đỏ") == ["giấy chứng nhận quyền sử dụng đất"]
    # typed without diacritics, the phrase still matches; with diacritics 'sơ đồ' (a diagram) does not
    assert vt.expansions("lam so do") == ["giấy chứng nhận quyền sử dụng đất"]
    assert vt.expansions("vẽ sơ đồ") == []
    assert vt.expand_abbreviations("tham gia BHYT") == "tham gia bhyt bảo hiểm y tế"
