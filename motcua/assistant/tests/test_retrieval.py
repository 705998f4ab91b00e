"""The retriever on a small hand-made corpus: explicit references, diacritics, abbreviations, snippets, save/load,
confidence, and the optional dense path with a tiny model2vec model built here."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motcua.assistant.retrieval import Hit, Passage, Retriever
from motcua.assistant.retrieval.dense import DenseEncoder

ARTICLES = [
    Passage(
        id="Luật Viên chức||29",
        law_id="Luật Viên chức",
        article_id="29",
        title="Đơn phương chấm dứt hợp đồng làm việc",
        text=(
            "Đơn phương chấm dứt hợp đồng làm việc\n\n"
            "1. Đơn vị sự nghiệp công lập được đơn phương chấm dứt hợp đồng làm việc với viên chức trong các "
            "trường hợp sau:\n"
            "a) Viên chức có 02 năm liên tiếp bị phân loại đánh giá ở mức độ không hoàn thành nhiệm vụ;\n"
            "b) Viên chức bị buộc thôi việc theo quy định;\n"
            "2. Viên chức được đơn phương chấm dứt hợp đồng làm việc nhưng phải thông báo bằng văn bản cho người "
            "đứng đầu đơn vị sự nghiệp công lập biết trước ít nhất 45 ngày.\n"
            "3. Viên chức ốm đau đã điều trị 06 tháng liên tục thì được đơn phương chấm dứt hợp đồng."
        ),
        law_title="Luật Viên chức số 58/2010/QH12",
    ),
    Passage(
        id="Luật Viên chức||39",
        law_id="Luật Viên chức",
        article_id="39",
        title="Mục đích của đánh giá viên chức",
        text=(
            "Mục đích của đánh giá viên chức\n\n"
            "Đánh giá viên chức để làm căn cứ tiếp tục bố trí, sử dụng, bổ nhiệm, đào tạo, khen thưởng, kỷ luật."
        ),
        law_title="Luật Viên chức số 58/2010/QH12",
    ),
    Passage(
        id="Luật Viên chức||2",
        law_id="Luật Viên chức",
        article_id="2",
        title="Viên chức",
        text=(
            "Viên chức\n\nViên chức là công dân Việt Nam được tuyển dụng theo vị trí việc làm, làm việc tại đơn vị "
            "sự nghiệp công lập theo chế độ hợp đồng làm việc."
        ),
        law_title="Luật Viên chức số 58/2010/QH12",
    ),
    Passage(
        id="100/2019/NĐ-CP||5",
        law_id="100/2019/NĐ-CP",
        article_id="5",
        title="Xử phạt người điều khiển xe ô tô vi phạm quy tắc giao thông đường bộ",
        text=(
            "Xử phạt người điều khiển xe ô tô vi phạm quy tắc giao thông đường bộ\n\n"
            "1. Phạt tiền từ 200.000 đồng đến 400.000 đồng đối với người điều khiển xe không chấp hành hiệu lệnh "
            "của đèn tín hiệu giao thông.\n"
            "2. Phạt tiền từ 800.000 đồng đến 1.000.000 đồng đối với người điều khiển xe dừng xe, đỗ xe trên "
            "phần đường xe chạy.\n"
            "3. Phạt tiền từ 3.000.000 đồng đến 5.000.000 đồng đối với người điều khiển xe chạy quá tốc độ."
        ),
        law_title="Nghị định 100/2019/NĐ-CP xử phạt vi phạm hành chính trong lĩnh vực giao thông",
    ),
    Passage(
        id="45/2019/QH14||12",
        law_id="45/2019/QH14",
        article_id="12",
        title="Trách nhiệm quản lý lao động của người sử dụng lao động",
        text=(
            "Trách nhiệm quản lý lao động của người sử dụng lao động\n\n"
            "1. Lập, cập nhật, quản lý, sử dụng sổ quản lý lao động bằng bản giấy hoặc bản điện tử.\n"
            "2. Xuất trình sổ quản lý lao động khi cơ quan có thẩm quyền yêu cầu."
        ),
        law_title="",
    ),
    Passage(
        id="Luật Bảo hiểm y tế||12",
        law_id="Luật Bảo hiểm y tế",
        article_id="12",
        title="Đối tượng tham gia bảo hiểm y tế",
        text=(
            "Đối tượng tham gia bảo hiểm y tế\n\n"
            "1. Nhóm do người lao động và người sử dụng lao động đóng, bao gồm người lao động làm việc theo hợp "
            "đồng lao động không xác định thời hạn.\n"
            "2. Nhóm do tổ chức bảo hiểm xã hội đóng, bao gồm người đang hưởng lương hưu."
        ),
    ),
    Passage(
        id="Luật Đất đai||202",
        law_id="Luật Đất đai",
        article_id="202",
        title="Hoà giải tranh chấp đất đai",
        text=(
            "Hoà giải tranh chấp đất đai\n\n"
            "1. Nhà nước khuyến khích các bên tranh chấp đất đai tự hoà giải hoặc giải quyết tranh chấp đất đai "
            "thông qua hoà giải ở cơ sở.\n"
            "2. Tranh chấp đất đai mà các bên không tự hoà giải được thì gửi đơn đến Uỷ ban nhân dân cấp xã nơi "
            "có đất tranh chấp để hoà giải."
        ),
    ),
    Passage(
        id="Luật Thuỷ lợi||8",
        law_id="Luật Thuỷ lợi",
        article_id="8",
        title="Quy hoạch thuỷ lợi",
        text="Quy hoạch thuỷ lợi\n\nQuy hoạch thuỷ lợi phải phù hợp với chiến lược phát triển kinh tế - xã hội.",
    ),
    Passage(
        id="Luật Căn cước||18",
        law_id="Luật Căn cước",
        article_id="18",
        title="Cấp thẻ căn cước",
        text=(
            "Cấp thẻ căn cước\n\nCông dân Việt Nam từ đủ 14 tuổi trở lên phải thực hiện thủ tục cấp thẻ căn cước "
            "công dân tại cơ quan quản lý căn cước."
        ),
    ),
]


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return Retriever.build(ARTICLES)


def ids(hits: list[Hit]) -> list[str]:
    return [h.id for h in hits]


def test_explicit_reference_comes_first_even_against_better_text_matches(retriever):
    # given a question that names Điều 39 Luật Viên chức but whose words fit Điều 29 better
    query = "Điều 39 Luật Viên chức: viên chức đơn phương chấm dứt hợp đồng làm việc"
    # when searched
    hits = retriever.search(query, 5)
    # then Điều 39 is first, scored 1.0, and the text match follows
    assert hits[0].id == "Luật Viên chức||39"
    assert hits[0].score == 1.0
    assert hits[1].id == "Luật Viên chức||29"
    assert hits[1].score < 1.0


@pytest.mark.parametrize(
    ("query", "passage_id", "clause"),
    [
        ("khoản 2 Điều 5 Nghị định 100/2019/NĐ-CP quy định mức phạt nào?", "100/2019/NĐ-CP||5", "2"),
        ("NĐ 100/2019 điều 5", "100/2019/NĐ-CP||5", None),
        ("điều 12 bộ luật lao động nói gì", "45/2019/QH14||12", None),
        ("Điều 12 BLLĐ", "45/2019/QH14||12", None),
        ("dieu 39 luat vien chuc", "Luật Viên chức||39", None),
        ("Điều 29 Luật Viên chứ", "Luật Viên chức||29", None),  # a typo in the law's name
    ],
)
def test_references_are_resolved_exactly(retriever, query, passage_id, clause):
    # given an explicit reference (by number, by abbreviation, without diacritics, with a typo)
    # when the references are read and the question searched
    refs = retriever.references(query)
    hits = retriever.search(query, 3)
    # then it resolves to the one article, which comes first
    assert [r.passage_id for r in refs] == [passage_id]
    assert refs[0].clause == clause
    assert hits[0].id == passage_id
    if clause:
        assert hits[0].clause == clause
        assert hits[0].snippet.startswith(f"{clause}. ")


def test_reference_to_a_missing_article_or_law_is_not_invented(retriever):
    # given references the corpus cannot satisfy
    missing_article = retriever.references("Điều 99 Luật Viên chức")
    missing_law = retriever.references("Điều 5 Luật Giáo dục")
    # then the article is named but not resolved to any passage
    assert missing_article[0].law_id == "Luật Viên chức" and missing_article[0].passage_id is None
    assert missing_law[0].law_id is None and missing_law[0].passage_id is None
    assert retriever.search("Điều 99 Luật Viên chức", 3)[0].score < 1.0


def test_query_without_diacritics_finds_the_article(retriever):
    # given the question typed on a keyboard without Vietnamese input
    hits = retriever.search("vien chuc don phuong cham dut hop dong lam viec phai bao truoc bao nhieu ngay", 3)
    # then the right article and clause come first
    assert hits[0].id == "Luật Viên chức||29"
    assert hits[0].clause == "2"


@pytest.mark.parametrize("query", ["Hòa giải tranh chấp đất đai ở đâu?", "HOÀ GIẢI TRANH CHẤP ĐẤT ĐAI"])
def test_old_and_new_tone_placement_meet(retriever, query):
    # given the corpus writes 'hoà' (new placement) and the question 'hòa' (old) or capitals
    hits = retriever.search(query, 1)
    # then the article is found
    assert hits[0].id == "Luật Đất đai||202"


def test_decomposed_unicode_query_matches(retriever):
    # given a question in NFD (decomposed) form with the old 'thủy' placement
    import unicodedata

    query = unicodedata.normalize("NFD", "quy hoạch thủy lợi")
    # then the article written 'thuỷ' (NFC) is found
    assert retriever.search(query, 1)[0].id == "Luật Thuỷ lợi||8"


@pytest.mark.parametrize(
    ("query", "passage_id"),
    [
        ("Những ai phải tham gia BHYT?", "Luật Bảo hiểm y tế||12"),
        ("Mấy tuổi thì được cấp CCCD?", "Luật Căn cước||18"),
        ("NSDLĐ phải lập sổ gì", "45/2019/QH14||12"),
    ],
)
def test_abbreviations_are_expanded(retriever, query, passage_id):
    # given questions that only use abbreviations the statutes spell out
    hits = retriever.search(query, 1)
    # then the statute's article is found
    assert hits[0].id == passage_id


def test_snippet_is_the_answering_clause_or_point(retriever):
    # given a question answered by clause 3 of Điều 29
    hit = retriever.search("Viên chức ốm đau điều trị 06 tháng liên tục có được chấm dứt hợp đồng không?", 1)[0]
    # then the snippet is that clause
    assert hit.id == "Luật Viên chức||29"
    assert hit.clause == "3"
    assert hit.snippet.startswith("3. Viên chức ốm đau")
    # given one answered by point a) of clause 1
    point = retriever.search("không hoàn thành nhiệm vụ 02 năm liên tiếp thì bị chấm dứt hợp đồng làm việc", 1)[0]
    assert (point.clause, point.point) == ("1", "a")
    assert "a) Viên chức có 02 năm liên tiếp" in point.snippet


def test_article_without_clauses_falls_back_to_its_opening(retriever):
    hit = retriever.search("viên chức là ai", 3)
    first = next(h for h in hit if h.id == "Luật Viên chức||2")
    assert first.clause is None
    assert first.snippet.startswith("Viên chức là công dân Việt Nam")


def test_save_and_load_round_trip(retriever, tmp_path):
    # given a built index saved to disk
    retriever.save(tmp_path / "index")
    # when loaded back
    loaded = Retriever.load(tmp_path / "index")
    # then it answers exactly as the original
    for query in ("Điều 39 Luật Viên chức", "hoà giải tranh chấp đất đai", "tham gia BHYT", "cap the can cuoc"):
        assert loaded.search(query, 5) == retriever.search(query, 5)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["passages"]) == len(ARTICLES)


def test_confidence_separates_covered_from_uncovered_questions(retriever):
    covered = retriever.search("Viên chức đơn phương chấm dứt hợp đồng làm việc phải báo trước bao nhiêu ngày?", 3)
    uncovered = retriever.search("Lãi suất cho vay mua nhà ở xã hội của ngân hàng chính sách là bao nhiêu?", 3)
    assert retriever.confidence(covered) > retriever.confidence(uncovered)
    assert retriever.confidence(covered) >= retriever.answer_threshold
    assert retriever.confidence([]) == 0.0
    assert all(0.0 <= h.score <= 1.0 for h in covered + uncovered)


def test_empty_query_and_k(retriever):
    assert retriever.search("   ", 5) == []
    assert retriever.search("viên chức", 0) == []
    assert len(retriever.search("viên chức", 100)) == len(ARTICLES)


def test_build_refuses_an_empty_corpus():
    with pytest.raises(ValueError, match="at least one passage"):
        Retriever.build([])


# --- the dense path with a tiny model2vec model made here ----------------------------------------------------------


def make_tiny_model(folder, passages) -> None:
    """A model2vec folder (model.safetensors, tokenizer.json, config.json): a word-level tokenizer over the corpus'
    words and random 16-d vectors, nudged so that 'tuổi' and 'căn cước' share a direction."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = sorted({w for p in passages for w in (p.title + " " + p.text).lower().split()} | {"[UNK]"})
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(len(words), 16)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"embeddings": vectors}, str(folder / "model.safetensors"))
    tok.save(str(folder / "tokenizer.json"))
    (folder / "config.json").write_text(
        json.dumps({"model_type": "model2vec", "normalize": True, "hidden_dim": 16}), encoding="utf-8"
    )


def test_dense_path_with_a_tiny_local_model(tmp_path):
    # given a tiny model2vec model on disk
    model_dir = tmp_path / "tiny-m2v"
    make_tiny_model(model_dir, ARTICLES)
    # when the retriever is built with it, saved and loaded
    dense = Retriever.build(ARTICLES, dense_model_path=str(model_dir))
    assert dense.dense_vectors is not None and dense.dense_vectors.shape == (len(ARTICLES), 16)
    assert np.allclose(np.linalg.norm(dense.dense_vectors, axis=1), 1.0, atol=1e-5)
    hits = dense.search("thẻ căn cước công dân", 3)
    dense.save(tmp_path / "index")
    loaded = Retriever.load(tmp_path / "index")
    # then the dense scores take part and survive the round trip
    assert loaded.dense is not None
    assert loaded.search("thẻ căn cước công dân", 3) == hits
    assert hits[0].id == "Luật Căn cước||18"
    # and the fused ranking differs from BM25 alone only through the dense term
    plain = Retriever.build(ARTICLES)
    _, with_dense, _, _ = dense._scores("viên chức")
    _, without, _, _ = plain._scores("viên chức")
    q = dense.dense.encode(["viên chức"])[0]
    cos = dense.dense_vectors @ q
    np.testing.assert_allclose(with_dense - without, dense.ranker.config.dense_weight * cos / cos.max(), rtol=1e-5)


def test_dense_model_path_must_exist_locally(tmp_path):
    # a missing folder is refused before model2vec could mistake it for a hub id and download
    with pytest.raises(FileNotFoundError, match="never fetched"):
        DenseEncoder.load(tmp_path / "minishlab" / "potion-base-8M")


def test_clause_one_standing_as_title_is_kept_and_odd_corpora_build():
    from motcua.assistant.retrieval.clauses import split_article

    # given an article without a title, whose first clause the source gives as its title (the Constitution)
    text = "1. Mọi người có quyền tự do tín ngưỡng.\n\n2. Nhà nước tôn trọng tự do tôn giáo."
    # then clause 1 is one of its parts
    assert [p.clause for p in split_article("1. Mọi người có quyền tự do tín ngưỡng.", text)] == ["1", "2"]
    # given a corpus with no titles and an empty article, then it builds and answers
    tiny = Retriever.build([Passage("A||1", "Luật A", "1", "", ""), Passage("A||2", "Luật A", "2", "", "Đối tượng")])
    assert tiny.search("đối tượng", 1)[0].id == "A||2"
    assert tiny.search("Điều 1 Luật A", 1)[0].score == 1.0
