"""Exports: the periodic report and the dashboard tables as CSV (UTF-8 with BOM, for Excel) and XLSX (a title row,
the period, the two-row heading, numbers as numbers), with the same figures as the API."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from lxml import etree

from .dashboard_fixtures import client_for, month_fixture  # noqa: F401 - the fixture `month`

pytestmark = pytest.mark.django_db
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_xlsx(content: bytes) -> dict[str, object]:
    """{"A1": value} of the first sheet: shared strings resolved, numbers as floats (a reader for the test only)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = etree.fromstring(z.read("xl/sharedStrings.xml"))
            strings = ["".join(si.itertext()) for si in root.findall("m:si", NS)]
        sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        merged = [m.get("ref") for m in sheet.findall(".//m:mergeCell", NS)]
    cells: dict[str, object] = {}
    for c in sheet.findall(".//m:c", NS):
        v = c.find("m:v", NS)
        if v is None:
            continue
        cells[c.get("r")] = strings[int(v.text)] if c.get("t") == "s" else float(v.text)
    cells["_merged"] = merged
    return cells


def test_report_as_csv_has_a_bom_the_standard_columns_and_the_apis_figures(month):
    client = client_for(month.leader)
    response = client.get("/dieu-hanh/xuat/bao-cao.csv", {"by": "agency"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bao-cao-theo-co-quan_')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["STT", "Cơ quan, đơn vị", "Số hồ sơ nhận giải quyết - Tổng số"]
    assert "Số hồ sơ đã giải quyết - Trước hạn" in header and "Số hồ sơ từ chối" in header
    api = client.get("/api/v1/analytics/report", {"by": "agency"}).json()
    body, total = rows[1:-1], rows[-1]
    assert [r[1] for r in body] == [r["label"] for r in api["rows"]]
    col = header.index("Số hồ sơ nhận giải quyết - Mới tiếp nhận trực tuyến")
    assert [int(r[col]) for r in body] == [r["totals"]["counts"]["received_online"] for r in api["rows"]]
    assert total[1] == "Tổng cộng"
    counts = api["total"]["counts"]
    assert int(total[2]) == counts["carried_over"] + counts["received"]
    assert int(total[header.index("Số hồ sơ từ chối")]) == counts["refused"] == 1


def test_report_as_xlsx_has_a_title_the_period_and_a_two_row_heading(month):
    client = client_for(month.leader)
    response = client.get("/dieu-hanh/xuat/bao-cao.xlsx", {"by": "procedure", "ky": "nam-nay"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cells = read_xlsx(response.content)
    assert cells["A1"] == "TÌNH HÌNH GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    assert str(cells["A2"]).startswith("Kỳ báo cáo: từ 01/01/")
    # two-row heading: the group over its columns, the STT and name cells spanning both rows
    assert cells["A5"] == "STT" and "A5:A6" in cells["_merged"]
    assert cells["C5"] == "Số hồ sơ nhận giải quyết" and cells["C6"] == "Tổng số"
    assert cells["D6"] == "Kỳ trước chuyển qua"
    api = client.get("/api/v1/analytics/report", {"by": "procedure", "ky": "nam-nay"}).json()
    assert cells["B7"] == api["rows"][0]["label"]
    assert cells["E7"] == api["rows"][0]["totals"]["counts"]["received_online"]
    last = 7 + len(api["rows"])
    assert cells[f"B{last}"] == "Tổng cộng"
    assert cells[f"H{last}"] == api["total"]["counts"]["resolved"]


@pytest.mark.parametrize(
    ("name", "params", "title"),
    [
        ("theo", {"by": "commune"}, "Kết quả giải quyết theo xã, phường"),
        ("theo", {"by": "procedure"}, "Kết quả giải quyết theo thủ tục"),
        ("cham-nhat", {"by": "agency"}, "Cơ quan giải quyết chậm nhất"),
        ("xep-hang", {"level": "agency"}, "Xếp hạng chỉ số phục vụ"),
        ("xu-huong", {}, "Hồ sơ tiếp nhận và giải quyết theo ngày"),
        ("qua-han", {}, "Hồ sơ đang quá hạn"),
        ("ho-so", {"metric": "received"}, "Hồ sơ tiếp nhận"),
    ],
)
def test_dashboard_tables_export_in_both_formats(month, name, params, title):
    client = client_for(month.leader)
    as_csv = client.get(f"/dieu-hanh/xuat/{name}.csv", params)
    assert as_csv.status_code == 200, as_csv.content[:500]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    as_xlsx = client.get(f"/dieu-hanh/xuat/{name}.xlsx", params)
    assert as_xlsx.status_code == 200
    cells = read_xlsx(as_xlsx.content)
    assert str(cells["A1"]).startswith(title.upper())
    # the same rows in both: the CSV's header is the XLSX's heading row
    assert [cells.get(f"{chr(65 + i)}5") for i in range(len(rows[0]))] == [h.removesuffix(" (%)") for h in rows[0]]
    if name == "ho-so":
        assert {r[0] for r in rows[1:]} == {d.code for d in month.dossiers.values()}
    if name == "qua-han":
        assert [r[0] for r in rows[1:]] == [month.dossiers["overdue"].code]


def test_exports_follow_the_same_rules_as_the_pages(month):
    desk = client_for(month.world.desk)
    assert desk.get("/dieu-hanh/xuat/bao-cao.xlsx", {"agency": month.other.pk}).status_code == 403
    assert desk.get("/dieu-hanh/xuat/ho-so.csv", {"metric": "received", "agency": month.other.pk}).status_code == 403
    own = desk.get("/dieu-hanh/xuat/ho-so.csv", {"metric": "received"})
    codes = {r[0] for r in list(csv.reader(io.StringIO(own.content.decode("utf-8-sig"))))[1:]}
    assert codes == {month.dossiers[k].code for k in ("resolved", "overdue", "refused", "in_person")}
    assert desk.get("/dieu-hanh/xuat/bao-cao.pdf").status_code == 404
    assert desk.get("/dieu-hanh/xuat/mat-khau.csv").status_code == 404
    assert client_for(month.world.citizen).get("/dieu-hanh/xuat/bao-cao.csv").status_code == 403
