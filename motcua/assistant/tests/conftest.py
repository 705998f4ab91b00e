"""Fixtures: a small legal corpus (a BEIR folder written per test and ingested through the real loader), a small
procedure catalogue on top of the shared `world`, the stand-in language model, and a fresh retriever cache."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from motcua.core.text import fold

# Public legal texts (abridged): Luật Cư trú 2020, Luật Thanh niên 2020, Luật Hôn nhân và gia đình 2014,
# Luật Viên chức 2010.
ARTICLES = [
    (
        "Luật Cư trú",
        "1",
        "Phạm vi điều chỉnh",
        "Luật này quy định về việc thực hiện quyền tự do cư trú của công dân Việt Nam trên lãnh thổ nước Cộng hòa "
        "xã hội chủ nghĩa Việt Nam; việc đăng ký, quản lý cư trú; quyền, nghĩa vụ, trách nhiệm của công dân, cơ "
        "quan, tổ chức về đăng ký, quản lý cư trú.",
    ),
    (
        "Luật Cư trú",
        "20",
        "Điều kiện đăng ký thường trú",
        "1. Công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình thì được đăng ký thường trú tại chỗ ở hợp pháp "
        "đó.\n\n2. Công dân được đăng ký thường trú tại chỗ ở hợp pháp không thuộc quyền sở hữu của mình khi được "
        "chủ hộ và chủ sở hữu chỗ ở hợp pháp đó đồng ý trong các trường hợp sau đây:\n\na) Vợ về ở với chồng; "
        "chồng về ở với vợ; con về ở với cha, mẹ; cha, mẹ về ở với con;\n\nb) Người cao tuổi về ở với anh ruột, "
        "chị ruột, em ruột, cháu ruột;\n\nc) Người chưa thành niên được cha, mẹ hoặc người giám hộ đồng ý hoặc "
        "không còn cha, mẹ về ở với cụ nội, cụ ngoại, ông nội, bà nội.",
    ),
    (
        "Luật Cư trú",
        "22",
        "Thủ tục đăng ký thường trú",
        "1. Người đăng ký thường trú nộp hồ sơ đăng ký thường trú đến cơ quan đăng ký cư trú nơi mình cư trú.\n\n"
        "2. Trong thời hạn 07 ngày làm việc kể từ ngày nhận được hồ sơ đầy đủ và hợp lệ, cơ quan đăng ký cư trú "
        "có trách nhiệm thẩm định, cập nhật thông tin về nơi thường trú mới của người đăng ký vào Cơ sở dữ liệu về "
        "cư trú và thông báo cho người đăng ký về việc đã cập nhật thông tin đăng ký thường trú.",
    ),
    (
        "Luật Thanh niên",
        "1",
        "Thanh niên",
        "Thanh niên là công dân Việt Nam từ đủ 16 tuổi đến 30 tuổi.",
    ),
    (
        "Luật Thanh niên",
        "4",
        "Chính sách của Nhà nước đối với thanh niên",
        "1. Tạo điều kiện cho thanh niên học tập, nghiên cứu khoa học, lao động, việc làm, khởi nghiệp.\n\n"
        "2. Hỗ trợ thanh niên phát triển toàn diện về thể chất, trí tuệ, tinh thần và đạo đức.",
    ),
    (
        "Luật Hôn nhân và gia đình",
        "8",
        "Điều kiện kết hôn",
        "1. Nam, nữ kết hôn với nhau phải tuân theo các điều kiện sau đây:\n\na) Nam từ đủ 20 tuổi trở lên, nữ "
        "từ đủ 18 tuổi trở lên;\n\nb) Việc kết hôn do nam và nữ tự nguyện quyết định;\n\nc) Không bị mất năng "
        "lực hành vi dân sự;\n\nd) Việc kết hôn không thuộc một trong các trường hợp cấm kết hôn.\n\n2. Nhà nước "
        "không thừa nhận hôn nhân giữa những người cùng giới tính.",
    ),
    (
        "Luật Hôn nhân và gia đình",
        "51",
        "Quyền yêu cầu giải quyết ly hôn",
        "1. Vợ, chồng hoặc cả hai người có quyền yêu cầu Tòa án giải quyết ly hôn.\n\n2. Chồng không có quyền "
        "yêu cầu ly hôn trong trường hợp vợ đang có thai, sinh con hoặc đang nuôi con dưới 12 tháng tuổi.",
    ),
    (
        "Luật Viên chức",
        "2",
        "Viên chức",
        "Viên chức là công dân Việt Nam được tuyển dụng theo vị trí việc làm, làm việc tại đơn vị sự nghiệp công "
        "lập theo chế độ hợp đồng làm việc, hưởng lương từ quỹ lương của đơn vị sự nghiệp công lập theo quy định "
        "của pháp luật.",
    ),
    (
        "Luật Viên chức",
        "12",
        "Quyền của viên chức về tiền lương và các chế độ liên quan đến tiền lương",
        "1. Được trả lương tương xứng với vị trí việc làm, chức danh nghề nghiệp, chức vụ quản lý và kết quả "
        "thực hiện công việc hoặc nhiệm vụ được giao.\n\n2. Được hưởng tiền làm thêm giờ, tiền làm đêm, công tác "
        "phí và chế độ khác theo quy định của pháp luật.",
    ),
]

LAW_TEXT = """QUỐC HỘI
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Luật số: 99/2025/QH15
Hà Nội, ngày 10 tháng 12 năm 2025
LUẬT
THỬ NGHIỆM HÀNH CHÍNH
Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;
Quốc hội ban hành Luật Thử nghiệm hành chính.
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Luật này quy định về việc thử nghiệm thủ tục hành chính điện tử tại bộ phận một cửa.
Điều 2. Giải thích từ ngữ
Trong Luật này, các từ ngữ dưới đây được hiểu như sau:
1. Hồ sơ thử nghiệm là tập hợp giấy tờ do người dân nộp để thử nghiệm.
2. Cơ quan tiếp nhận là:
a) Ủy ban nhân dân cấp xã;
b) Trung tâm Phục vụ hành chính công.
Chương II
THỦ TỤC THỬ NGHIỆM
Mục 1. TIẾP NHẬN HỒ SƠ
Điều 3. Thời hạn thử nghiệm
1. Thời hạn giải quyết hồ sơ thử nghiệm là 05 ngày làm việc.
2. Lệ phí thử nghiệm là 50.000 đồng.
Điều 4. Hiệu lực thi hành
Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2026.
Luật này được Quốc hội khóa XV, kỳ họp thứ 10 thông qua ngày 10 tháng 12 năm 2025.
CHỦ TỊCH QUỐC HỘI
Trần Văn Mẫu
"""


def shared_data() -> Path:
    """../shared/data, as the catalogue tests find it (MOTCUA_SHARED_DATA overrides)."""
    return Path(os.environ.get("MOTCUA_SHARED_DATA") or Path(__file__).resolve().parents[3].parent / "shared" / "data")


def alqac_law_json_or_skip() -> Path:
    path = shared_data() / "alqac_legal_retrieval" / "alqac2024_law.json"
    if not path.is_file():
        if os.environ.get("MOTCUA_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{path} is required (MOTCUA_REQUIRE_SERVICES=1)")
        pytest.skip("../shared/data/alqac_legal_retrieval is not present")
    return path


def write_beir(directory: Path, articles=ARTICLES) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for law, number, title, body in articles:
            row = {"_id": f"{law}||{number}", "law_id": law, "article_id": number, "title": title,
                   "text": f"{title}\n\n{body}"}  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return directory


@pytest.fixture(autouse=True)
def _fresh_retriever(settings):
    """No retriever left over from another test's database; the language model off unless a test starts one."""
    from motcua.assistant import engine, procedures

    settings.MOTCUA_ASSISTANT_LLM_URL = ""
    engine.forget()
    procedures.forget()
    yield
    engine.forget()
    procedures.forget()


@pytest.fixture
def laws(db, tmp_path):
    """The small corpus above, ingested from a BEIR folder."""
    from motcua.assistant import ingest

    return ingest.ingest_beir(write_beir(tmp_path / "beir"))


def _procedure(code: str, name: str, field: str, agencies, *, time_value, time_unit, documents, fee):
    from motcua.catalog.models import Procedure, ProcedureOffering, ProcedureVersion
    from motcua.catalog.workflow import default_form_schema, default_workflow

    procedure = Procedure.objects.create(
        code=code, name=name, field=field, level="Cấp xã", search_text=fold(f"{code} {name} {field}")
    )
    ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        is_current=True,
        time_value=time_value,
        time_unit=time_unit,
        form_schema=default_form_schema({"code": code, "name": name}),
        documents=documents,
        fee_rule=fee,
        workflow=default_workflow(),
    )
    for agency, level in agencies:
        ProcedureOffering.objects.create(procedure=procedure, agency=agency, online_level=level)
    return procedure


@dataclass
class Catalogue:
    world: object
    birth: object
    investment: object


@pytest.fixture
def catalogue(world) -> Catalogue:
    """The world's birth registration (1.001193) plus the investment certificate (12 working hours, Economic Zone
    Board), permanent residence, and look-alikes: re-registration of a birth, marriage registration."""
    from motcua.catalog.models import Agency, AgencyKind

    world.procedure.legal_basis = [{"number": "123/2015/NĐ-CP", "title": "Nghị định 123/2015/NĐ-CP"}]
    world.procedure.save()
    board = Agency.objects.create(
        code="000.00.04.H49", name="Ban Quản lý Khu kinh tế Quảng Ninh", kind=AgencyKind.DEPARTMENT, province_code="22"
    )
    investment = _procedure(
        "1.009664",
        "Thủ tục cấp Giấy chứng nhận đăng ký đầu tư",
        "Đầu tư tại Việt nam",
        [(board, "full")],
        time_value=12,
        time_unit="working_hours",
        documents=[
            {
                "code": "TP1",
                "name": "Văn bản đề nghị thực hiện dự án đầu tư",
                "quantity": 1,
                "original": True,
                "required": True,
            },
            {"code": "TP2", "name": "Đề xuất dự án đầu tư", "quantity": 1, "original": True, "required": True},
        ],
        fee={"kind": "free", "amount": 0, "text": "Không"},
    )
    _procedure(
        "1.004884",
        "Thủ tục đăng ký lại khai sinh",
        "Hộ tịch",
        [(world.agency, "partial")],
        time_value=5,
        time_unit="working_days",
        documents=[{"code": "TP1", "name": "Tờ khai đăng ký lại khai sinh", "quantity": 1, "original": True}],
        fee={"kind": "fixed", "amount": 8000, "text": ""},
    )
    _procedure(
        "1.004222",
        "Đăng ký thường trú",
        "Đăng ký, quản lý cư trú",
        [(world.agency, "full")],
        time_value=7,
        time_unit="working_days",
        documents=[{"code": "TP1", "name": "Tờ khai thay đổi thông tin cư trú", "quantity": 1, "original": True}],
        fee={"kind": "fixed", "amount": 20000, "text": ""},
    )
    _procedure(
        "1.000894",
        "Thủ tục đăng ký kết hôn",
        "Hộ tịch",
        [(world.agency, "full")],
        time_value=0,
        time_unit="working_days",
        documents=[{"code": "TP1", "name": "Tờ khai đăng ký kết hôn", "quantity": 1, "original": True}],
        fee={"kind": "free", "amount": 0, "text": "Miễn lệ phí"},
    )
    return Catalogue(world, world.procedure, investment)


@pytest.fixture
def llm(settings) -> Iterator:
    """The stand-in language model, switched on for the assistant."""
    from simulators.llm import start_llm_server

    server, _thread, base_url = start_llm_server(api_key="khoa-thu-nghiem")
    settings.MOTCUA_ASSISTANT_LLM_URL = base_url + "/v1"
    settings.MOTCUA_ASSISTANT_LLM_MODEL = "motcua-sim-1"
    settings.MOTCUA_ASSISTANT_LLM_API_KEY = "khoa-thu-nghiem"
    settings.MOTCUA_ASSISTANT_LLM_TIMEOUT_SECONDS = 2
    server.base = base_url
    try:
        yield server
    finally:
        server.stop()
