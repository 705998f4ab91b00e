"""Realistic filled declarations for the five hand-made procedures.

Used by the tests, the browser journey and the benchmarks, so all of them submit what a real applicant would.
"""

EXAMPLES = {
    "1.001193": {
        "nyc_ho_ten": "Trần Thị Bích", "nyc_so_dinh_danh": "022192004567", "nyc_noi_cu_tru":
        "Tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh", "nyc_dien_thoai": "0912345678", "nyc_quan_he": "me",
        "ks_ho_ten": "Nguyễn Minh Khang", "ks_gioi_tinh": "nam", "ks_ngay_sinh": "2026-11-20",
        "ks_noi_sinh": "Bệnh viện Sản Nhi Quảng Ninh, phường Hồng Gai, tỉnh Quảng Ninh", "ks_dan_toc": "Kinh",
        "ks_quoc_tich": "Việt Nam", "ks_que_quan": "Xã Tiên Yên, tỉnh Quảng Ninh",
        "me_ho_ten": "Trần Thị Bích", "me_nam_sinh": 1992, "me_so_dinh_danh": "022192004567", "me_dan_toc": "Kinh",
        "me_quoc_tich": "Việt Nam", "me_noi_cu_tru": "Tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh",
        "cha_ho_ten": "Nguyễn Văn Hùng", "cha_nam_sinh": 1990, "cha_so_dinh_danh": "022090001234",
        "cha_dan_toc": "Kinh", "cha_quoc_tich": "Việt Nam",
        "cha_noi_cu_tru": "Tổ 3, khu 5, phường Hạ Long, tỉnh Quảng Ninh",
        "cap_ban_sao": True, "so_ban_sao": 2, "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
    "1.000656": {
        "nyc_ho_ten": "Lê Văn Minh", "nyc_so_dinh_danh": "022085006789", "nyc_noi_cu_tru":
        "Thôn 2, xã Hải Sơn, tỉnh Quảng Ninh", "nyc_quan_he": "con",
        "kt_ho_ten": "Lê Văn Thành", "kt_ngay_sinh": "1940-03-15", "kt_gioi_tinh": "nam",
        "kt_so_dinh_danh": "022040000123", "kt_dan_toc": "Kinh", "kt_quoc_tich": "Việt Nam",
        "kt_noi_cu_tru": "Thôn 2, xã Hải Sơn, tỉnh Quảng Ninh", "kt_ngay_chet": "2026-11-25", "kt_gio_chet": "04:30",
        "kt_noi_chet": "Tại nhà, thôn 2, xã Hải Sơn", "kt_nguyen_nhan_chet": "Tuổi cao, bệnh già",
        "giay_bao_tu_so": "12/GBT", "giay_bao_tu_ngay_cap": "2026-11-25",
        "giay_bao_tu_co_quan_cap": "Trạm Y tế xã Hải Sơn", "cap_ban_sao": True, "so_ban_sao": 3,
        "hinh_thuc_nhan_ket_qua": "truc_tiep",
    },
    "1.004222": {
        "ho_ten": "Nguyễn Minh Khang", "ngay_sinh": "2026-11-20", "gioi_tinh": "nam", "so_dinh_danh": "022226000111",
        "dien_thoai": "0912345678", "chu_ho_ho_ten": "Nguyễn Văn Hùng", "chu_ho_so_dinh_danh": "022090001234",
        "quan_he_chu_ho": "con", "dia_chi_tinh": "22", "dia_chi_xa": "06688",
        "dia_chi_so_nha_duong": "Số 12, đường Trần Hưng Đạo, tổ 3, khu 5", "cho_o": "than_nhan",
        "chu_so_huu_ho_ten": "Nguyễn Văn Hùng", "chu_so_huu_dong_y": True,
        "noi_dung_de_nghi": "Đăng ký thường trú cho con mới sinh vào hộ của cha",
        "thanh_vien_cung_thay_doi": [], "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
    "1.003197": {
        "nguoi_khai_ho_ten": "Lê Văn Minh", "nguoi_khai_so_dinh_danh": "022085006789", "nguoi_khai_quan_he": "chu_ho",
        "ho_ten": "Lê Văn Thành", "ngay_sinh": "1940-03-15", "gioi_tinh": "nam", "so_dinh_danh": "022040000123",
        "ly_do": "chet", "ngay_phat_sinh": "2026-11-25", "dia_chi_tinh": "22", "dia_chi_xa": "06724",
        "dia_chi_so_nha_duong": "Thôn 2", "noi_dung_de_nghi": "Xóa đăng ký thường trú do đã chết",
        "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
    "1.009664": {
        "truong_hop": "case_1", "loai_nha_dau_tu": "to_chuc", "ten_nha_dau_tu": "Công ty TNHH Cơ khí Hạ Long",
        "ma_so_thue": "5701234567", "so_dinh_danh": "022080004321",
        "dia_chi_nha_dau_tu": "Lô A2, Khu công nghiệp Cái Lân, phường Bãi Cháy, tỉnh Quảng Ninh",
        "dien_thoai": "02033812345", "email": "dautu@cokhihalong.vn",
        "ten_du_an": "Nhà máy sản xuất kết cấu thép Hạ Long", "muc_tieu": "Sản xuất kết cấu thép (mã ngành 2511)",
        "quy_mo": "20.000 tấn sản phẩm/năm; diện tích xây dựng 3 ha", "von_dau_tu": 150_000_000_000,
        "von_gop": 30_000_000_000, "dia_diem_tinh": "22", "dia_diem_xa": "06673",
        "dia_diem_so_nha_duong": "Lô A2, Khu công nghiệp Cái Lân", "thoi_han_hoat_dong": 50,
        "tien_do": "Quý I/2027 khởi công; quý IV/2028 đi vào hoạt động", "nhu_cau_su_dung_dat": 30000,
        "hinh_thuc_nhan_ket_qua": "truc_tuyen",
    },
}  # fmt: skip

# The linked groups (Decree 63/2024): one declaration for the whole chain, built on the civil-status ones.
EXAMPLES["2.000986"] = {
    **{k: v for k, v in EXAMPLES["1.001193"].items() if k != "hinh_thuc_nhan_ket_qua"},
    "tt_chu_ho_ho_ten": "Nguyễn Văn Hùng", "tt_chu_ho_so_dinh_danh": "022090001234", "tt_quan_he_chu_ho": "con",
    "tt_dia_chi_tinh": "22", "tt_dia_chi_xa": "06652", "tt_dia_chi_so_nha_duong": "Số 12, tổ 3, khu 5",
    "bhyt_noi_kcb_ban_dau": "Trạm y tế phường Hạ Long", "hinh_thuc_nhan_ket_qua": "truc_tuyen",
}  # fmt: skip
EXAMPLES["LT.KHAITU"] = {
    **{k: v for k, v in EXAMPLES["1.000656"].items() if k != "hinh_thuc_nhan_ket_qua"},
    "thu_tuc_chon": ["xoa_thuong_tru", "tro_cap_mai_tang"], "nhan_tien_so_tai_khoan": "0123456789",
    "nhan_tien_ngan_hang": "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam",
    "hinh_thuc_nhan_ket_qua": "truc_tuyen",
}  # fmt: skip
