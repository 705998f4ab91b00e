"""The legal assistant's sources (laws split into articles, versioned) and its question log for officials' review.

A law is re-ingested as a new `LegalDocument` version when its text changed; the old version stays, marked not in
force, with all its articles, so a logged answer keeps pointing at the article rows that were in force when it was
given.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LawKind(models.TextChoices):
    CONSTITUTION = "constitution", _("Hiến pháp")
    CODE = "code", _("Bộ luật")
    LAW = "law", _("Luật")
    ORDINANCE = "ordinance", _("Pháp lệnh")
    RESOLUTION = "resolution", _("Nghị quyết")
    DECREE = "decree", _("Nghị định")
    DECISION = "decision", _("Quyết định")
    CIRCULAR = "circular", _("Thông tư")
    CONSOLIDATED = "consolidated", _("Văn bản hợp nhất")
    OTHER = "other", _("Văn bản khác")


class LegalDocument(models.Model):
    """One version of a legal document. `code` is how sources name it ("Luật Cư trú", "100/2019/NĐ-CP"): the
    `law_id` of the corpus, the first half of every article's corpus id "<code>||<article>"."""

    code = models.CharField(_("tên gọi (mã nguồn)"), max_length=255, db_index=True)
    number = models.CharField(_("số hiệu"), max_length=64, blank=True)
    title = models.CharField(_("tên văn bản"), max_length=500)
    kind = models.CharField(_("loại văn bản"), max_length=16, choices=LawKind.choices, default=LawKind.LAW)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    effective_on = models.DateField(_("ngày có hiệu lực"), null=True, blank=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    in_force = models.BooleanField(_("đang dùng để trả lời"), default=True)
    source = models.CharField(_("nguồn nạp"), max_length=32, blank=True)  # beir | law_file | alqac_json
    source_name = models.CharField(_("tệp nguồn"), max_length=255, blank=True)
    # SHA-256 of the articles and the metadata: the same law ingested again changes nothing.
    content_hash = models.CharField(max_length=64, editable=False)
    ingested_at = models.DateTimeField(_("nạp lúc"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("bị thay thế lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản pháp luật")
        verbose_name_plural = _("văn bản pháp luật")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_legal_document_version"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(in_force=True), name="one_law_in_force"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def display_name(self) -> str:
        """'Luật Cư trú số 68/2020/QH14' where the number is known."""
        if self.number and self.number not in self.title:
            return f"{self.title} số {self.number}"
        return self.title


class LegalArticle(models.Model):
    """An article (Điều) of one document version, with where it sits (part, chapter, section). Its clauses are
    read from `text` when needed (motcua.assistant.lawtext.split_clauses)."""

    document = models.ForeignKey(LegalDocument, on_delete=models.PROTECT, related_name="articles")
    position = models.PositiveIntegerField(_("thứ tự"))
    part = models.CharField(_("phần"), max_length=255, blank=True)
    chapter = models.CharField(_("chương"), max_length=500, blank=True)
    section = models.CharField(_("mục"), max_length=500, blank=True)
    number = models.CharField(_("điều số"), max_length=16)
    title = models.TextField(_("tên điều"), blank=True)
    text = models.TextField(_("nội dung"))  # "<title>\n\n<body>" as the sources give it

    class Meta:
        verbose_name = _("điều luật")
        verbose_name_plural = _("điều luật")
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="uniq_article_number")]

    def __str__(self) -> str:
        return f"Điều {self.number} {self.document.code}"

    @property
    def corpus_id(self) -> str:
        return f"{self.document.code}||{self.number}"

    @property
    def heading(self) -> str:
        """The article's name ('Điều kiện đăng ký thường trú'), or "" when the source gives none: the ALQAC and
        BEIR 'title' is the text's first paragraph, which for the Constitution is already a sentence of the body."""
        first = (self.title or "").split("\n", 1)[0].strip()
        if not first or len(first) > 120 or first[-1] in ".;:" or first[0].isdigit():
            return ""
        return first

    @property
    def body(self) -> str:
        text = self.text or ""
        if self.title and text.startswith(self.title):
            return text[len(self.title) :].strip() or text
        return text


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("Người dân, doanh nghiệp")
    OFFICIAL = "official", _("Cán bộ, công chức")


class Intent(models.TextChoices):
    PROCEDURE = "procedure", _("Thủ tục hành chính")
    LEGAL = "legal", _("Quy định pháp luật")
    REFERENCE = "reference", _("Tra cứu điều luật")
    UNKNOWN = "unknown", _("Chưa tìm thấy căn cứ")


class Verdict(models.TextChoices):
    CORRECT = "correct", _("Trả lời đúng")
    INCOMPLETE = "incomplete", _("Chưa đầy đủ")
    WRONG = "wrong", _("Trả lời sai")


class AssistantQuery(models.Model):
    """One question and its answer, for officials' review. No personal data: the question is stored scrubbed of
    personal ID numbers, phone numbers and e-mail addresses, and the asker only as a role."""

    asked_at = models.DateTimeField(_("hỏi lúc"), db_index=True)
    channel = models.CharField(_("kênh"), max_length=8)  # web | api
    audience = models.CharField(_("đối tượng"), max_length=10, choices=Audience.choices)
    asker_role = models.CharField(_("vai trò người hỏi"), max_length=20)  # anonymous | citizen | desk | …
    question = models.TextField(_("câu hỏi (đã che dữ liệu cá nhân)"))
    intent = models.CharField(_("loại câu hỏi"), max_length=10, choices=Intent.choices)
    answer = models.TextField(_("câu trả lời"))
    citations = models.JSONField(_("căn cứ trích dẫn"), default=list, blank=True)
    confidence = models.FloatField(_("độ tin cậy"))
    latency_ms = models.PositiveIntegerField(_("thời gian trả lời (ms)"))
    generated = models.BooleanField(_("do mô hình ngôn ngữ viết"), default=False)
    generation_note = models.CharField(_("ghi chú sinh câu trả lời"), max_length=255, blank=True)
    # The article rows cited, pinned to the version in force when the answer was given.
    articles = models.ManyToManyField(LegalArticle, blank=True, related_name="+", verbose_name=_("điều luật trích"))
    verdict = models.CharField(_("đánh giá"), max_length=12, choices=Verdict.choices, blank=True)
    review_note = models.TextField(_("ghi chú của cán bộ"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("xem xét lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("câu hỏi trợ lý ảo")
        verbose_name_plural = _("câu hỏi trợ lý ảo")
        ordering = ["-asked_at", "-pk"]
        indexes = [models.Index(fields=["intent", "asked_at"], name="assistant_query_intent")]

    def __str__(self) -> str:
        return self.question[:80]
