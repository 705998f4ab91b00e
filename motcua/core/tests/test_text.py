from motcua.core.text import fold, nfc


def test_fold_removes_vietnamese_diacritics_and_d_bar():
    # given a title with tone marks and đ
    title = "Thủ tục  Đăng ký khai sinh"
    # when folded
    folded = fold(title)
    # then it matches what a user types without accents
    assert folded == "thu tuc dang ky khai sinh"


def test_nfc_composes_decomposed_text():
    decomposed = "khai sinh".replace("a", "a\u0300")
    assert nfc(decomposed) == "khài sinh"
