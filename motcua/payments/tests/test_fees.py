"""Fee computation is a pure table: rule + declaration + channel → integer VND (or "pay at the desk")."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from motcua.payments.fees import Fee, compute
from motcua.payments.receipt import amount_in_words

CATALOG = Path(__file__).resolve().parents[2] / "catalog"

FIXED = {"kind": "fixed", "amount": 50000, "text": "50.000 đồng"}
RESIDENCE = {"kind": "fixed", "amount": 10000, "by_channel": {"in_person": 20000, "online": 10000}}
COPIES = {"kind": "per_copy", "amount": 8000, "field": "so_ban_sao"}
CATEGORY = {"kind": "by_category", "field": "loai", "amounts": {"moi": 100000, "cap_lai": 50000, "true": 1}}
EXEMPT = {**RESIDENCE, "exempt_when": {"field": "doi_tuong", "in": ["tre_em", "nguoi_co_cong"]}}
SUM = {
    "kind": "sum",
    "parts": [
        {"kind": "fixed", "amount": 30000, "label": "Lệ phí cấp giấy"},
        {**COPIES, "label": "Bản sao", "exempt_when": {"field": "cap_ban_sao", "equals": False}},
    ],
}


@pytest.mark.parametrize(
    ("rule", "data", "channel", "amount", "computable"),
    [
        ({"kind": "free", "amount": 0, "text": "Miễn phí"}, {}, "online", 0, True),
        (FIXED, {}, "online", 50000, True),
        (RESIDENCE, {}, "online", 10000, True),
        (RESIDENCE, {}, "in_person", 20000, True),
        (RESIDENCE, {}, "post", 10000, True),  # no channel price: the rule's amount
        (COPIES, {"so_ban_sao": 3}, "online", 24000, True),
        (COPIES, {"so_ban_sao": 0}, "online", 0, True),
        (COPIES, {}, "online", 0, True),  # no copies asked for
        (COPIES, {"so_ban_sao": -1}, "online", 0, False),
        (COPIES, {"so_ban_sao": 2.5}, "online", 0, False),
        (COPIES, {"so_ban_sao": True}, "online", 0, False),  # a boolean is not a count
        (COPIES, {"so_ban_sao": 100_000}, "online", 0, False),
        (CATEGORY, {"loai": "moi"}, "online", 100000, True),
        (CATEGORY, {"loai": "cap_lai"}, "online", 50000, True),
        (CATEGORY, {"loai": "khac"}, "online", 0, False),  # a category the rule does not price: desk
        (CATEGORY, {"loai": True}, "online", 1, True),  # booleans are keyed "true"/"false"
        ({**CATEGORY, "default": 20000}, {"loai": "khac"}, "online", 20000, True),
        (EXEMPT, {"doi_tuong": "tre_em"}, "online", 0, True),
        (EXEMPT, {"doi_tuong": "khac"}, "online", 10000, True),
        (SUM, {"cap_ban_sao": True, "so_ban_sao": 2}, "online", 46000, True),
        (SUM, {"cap_ban_sao": False, "so_ban_sao": 2}, "online", 30000, True),
        ({"kind": "text", "amount": 0, "text": "Theo Thông tư 172/2010/TT-BTC"}, {}, "online", 0, False),
        ({"kind": "fixed", "amount": 10000.0}, {}, "online", 0, False),  # never a float
        ({"kind": "fixed", "amount": "10000"}, {}, "online", 0, False),
        ({"kind": "fixed", "amount": -5}, {}, "online", 0, False),
        ({"kind": "per_copy", "amount": 8000}, {}, "online", 0, False),  # no field named
        ({"kind": "percent", "rate": 0.1}, {}, "online", 0, False),  # unknown kind: desk
        ({"kind": "sum", "parts": []}, {}, "online", 0, False),
        ({"kind": "sum", "parts": [{"kind": "sum", "parts": [FIXED]}]}, {}, "online", 0, False),  # one level only
        ({}, {}, "online", 0, False),
        (None, None, "online", 0, False),
    ],
)
def test_fee_table(rule, data, channel, amount, computable):
    # given a fee rule and a declaration / when the fee is computed / then integer VND, or not computable
    fee = compute(rule, data, channel)
    assert isinstance(fee, Fee)
    assert fee.amount_vnd == amount and type(fee.amount_vnd) is int
    assert fee.computable is computable
    assert fee.payable_online is (computable and amount > 0)


def test_lines_say_what_is_charged():
    fee = compute(SUM, {"cap_ban_sao": True, "so_ban_sao": 2})
    assert [(x.label, x.quantity, x.unit_vnd, x.total_vnd) for x in fee.lines] == [
        ("Lệ phí cấp giấy", 1, 30000, 30000),
        ("Bản sao", 2, 8000, 16000),
    ]
    assert fee.as_dict()["lines"][1]["total_vnd"] == 16000


def test_exemption_and_desk_flags():
    exempt = compute(EXEMPT, {"doi_tuong": "nguoi_co_cong"})
    assert exempt.exempt and exempt.amount_vnd == 0 and not exempt.payable_online
    assert compute({**FIXED, "pay_at_desk": True}, {}).pay_at_desk
    assert not compute(FIXED, {}).pay_at_desk
    assert compute({"kind": "text", "text": "x"}, {}).pay_at_desk  # not computable: collected at the desk


def test_the_shipped_definitions_compute():
    # given the hand-made definitions / then birth and death registration are free, residence costs 10.000 đồng
    # online and 20.000 đồng at the desk (Circular 75/2022), and every rule computes
    for path in sorted((CATALOG / "definitions").glob("*.json")):
        definition = json.loads(path.read_text())
        fee = compute(definition["fee_rule"], {}, "online")
        assert fee.computable, path.name
        expected = 10000 if path.stem == "1.004222" else 0
        assert fee.amount_vnd == expected, path.name
    residence = json.loads((CATALOG / "definitions" / "1.004222.json").read_text())["fee_rule"]
    assert compute(residence, {}, "in_person").amount_vnd == 20000


def test_every_rule_of_the_scraped_catalogue_is_handled():
    # given the ~2,850 procedures of the national portal / when every fee rule is computed / then none raises,
    # "fixed" gives its amount, "free" nothing, "text" is left to the desk
    kinds = {}
    with gzip.open(CATALOG / "data" / "procedures.jsonl.gz", "rt") as handle:
        for line in handle:
            rule = json.loads(line).get("fee_rule") or {}
            for channel in ("online", "in_person"):
                fee = compute(rule, {}, channel)
                kinds[rule.get("kind")] = kinds.get(rule.get("kind"), 0) + 1
                if rule.get("kind") == "fixed":
                    assert fee.computable and fee.amount_vnd == rule.get("by_channel", {}).get(channel, rule["amount"])
                elif rule.get("kind") == "free":
                    assert fee.computable and fee.amount_vnd == 0
                else:
                    assert not fee.computable and not fee.payable_online
    assert set(kinds) == {"free", "fixed", "text"}


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (25, "Hai mươi lăm đồng"),
        (105, "Một trăm linh năm đồng"),
        (8000, "Tám nghìn đồng"),
        (10000, "Mười nghìn đồng"),
        (16000, "Mười sáu nghìn đồng"),
        (20000, "Hai mươi nghìn đồng"),
        (105000, "Một trăm linh năm nghìn đồng"),
        (250000, "Hai trăm năm mươi nghìn đồng"),
        (1_000_001, "Một triệu không trăm linh một đồng"),
        (1_015_000, "Một triệu không trăm mười lăm nghìn đồng"),
        (23_400_000, "Hai mươi ba triệu bốn trăm nghìn đồng"),
        (2_000_000_000, "Hai tỷ đồng"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words
