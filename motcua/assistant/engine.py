"""The retriever of this server process: built from the articles in force, cached on disk under
$MOTCUA_DATA_DIR/assistant/<corpus fingerprint>/ (Retriever.save / Retriever.load), rebuilt when the laws change.

A process checks the fingerprint (one small query over the documents in force) at most every
MOTCUA_ASSISTANT_RELOAD_SECONDS; ingestion in this process forgets the cache at once. The first process to meet a
new fingerprint builds and saves the index; the others load it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from . import conf
from .models import LegalArticle, LegalDocument
from .retrieval import Passage, Retriever

log = logging.getLogger("motcua.assistant")

# Bump when the way passages are made from rows changes: every cached index is then rebuilt.
PASSAGE_FORMAT = "1"
KEEP_INDEXES = 3

_lock = threading.Lock()
_cache: dict[str, object] = {"fingerprint": None, "retriever": None, "checked": 0.0}


def cache_root() -> Path:
    return Path(settings.DATA_DIR) / "assistant"


def dense_model_path() -> str | None:
    path = str(conf.get("MOTCUA_ASSISTANT_DENSE_MODEL") or "").strip()
    return path or None


@lru_cache(maxsize=1)
def retrieval_version() -> str:
    """A digest of the retrieval engine's code and shipped data (ranker weights, tables): an index saved by another
    version of the engine is never loaded, whatever its own format number says."""
    package = Path(__file__).resolve().parent / "retrieval"
    digest = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *(package / "data").glob("*")]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def corpus_fingerprint() -> str | None:
    """A digest of the documents in force (code, version, content, names) and of how the index is built; None when
    no law is in force."""
    rows = list(
        LegalDocument.objects.filter(in_force=True)
        .order_by("code")
        .values_list("code", "version", "content_hash", "title", "number")
    )
    if not rows:
        return None
    digest = hashlib.sha256()
    digest.update(f"{PASSAGE_FORMAT}|{dense_model_path() or ''}|{retrieval_version()}".encode())
    for row in rows:
        digest.update(("\x1f".join(str(v) for v in row) + "\x1e").encode("utf-8"))
    return digest.hexdigest()[:32]


def passages_in_force() -> list[Passage]:
    """One Passage per article of every document in force, in document and article order."""
    articles = (
        LegalArticle.objects.filter(document__in_force=True)
        .select_related("document")
        .only("number", "title", "text", "document__code", "document__title", "document__number")
        .order_by("document__code", "position")
    )
    out = []
    for a in articles.iterator(chunk_size=2000):
        out.append(
            Passage(
                id=f"{a.document.code}||{a.number}",
                law_id=a.document.code,
                article_id=a.number,
                title=a.title,
                text=a.text,
                law_title=a.document.display_name,
            )
        )
    return out


def _load_or_build(fingerprint: str) -> Retriever:
    root = cache_root()
    target = root / fingerprint
    if target.is_dir():
        try:
            return Retriever.load(target)
        except Exception:  # a half-written or older-format index: build it again
            log.warning("assistant index at %s unreadable; rebuilding", target, exc_info=True)
    started = time.monotonic()
    retriever = Retriever.build(passages_in_force(), dense_model_path=dense_model_path())
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{fingerprint}-", dir=root))
    try:
        retriever.save(tmp)
        try:
            os.rename(tmp, target)  # atomic: another process sees the whole index or none
        except OSError:  # another process got there first: theirs is the same index
            shutil.rmtree(tmp, ignore_errors=True)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        log.warning("assistant index could not be saved under %s", root, exc_info=True)
    log.info("assistant index %s built in %.1f s", fingerprint, time.monotonic() - started)
    _prune(root, keep=fingerprint)
    return retriever


def _prune(root: Path, keep: str) -> None:
    """Keep the newest few indexes (another process may still be loading a recent one)."""
    try:
        dirs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    stale = [p for p in dirs if p.name != keep][KEEP_INDEXES - 1 :]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)


def get_retriever() -> Retriever | None:
    """The retriever over the articles in force (None when there are none), built or loaded once per corpus."""
    now = time.monotonic()
    reload_every = float(conf.get("MOTCUA_ASSISTANT_RELOAD_SECONDS"))
    if _cache["retriever"] is not None and now - float(_cache["checked"]) < reload_every:  # type: ignore[arg-type]
        return _cache["retriever"]  # type: ignore[return-value]
    fingerprint = corpus_fingerprint()
    with _lock:
        if fingerprint is None:
            _cache.update(fingerprint=None, retriever=None, checked=now)
            return None
        if fingerprint != _cache["fingerprint"] or _cache["retriever"] is None:
            _cache.update(fingerprint=fingerprint, retriever=_load_or_build(fingerprint))
        _cache["checked"] = now
        return _cache["retriever"]  # type: ignore[return-value]


def forget() -> None:
    """Drop this process's retriever (after an ingestion, and between tests)."""
    with _lock:
        _cache.update(fingerprint=None, retriever=None, checked=0.0)
    retrieval_version.cache_clear()


def describe(retriever: Retriever | None) -> str:
    if retriever is None:
        return "chưa có văn bản nào"
    size = getattr(retriever, "size", None) or len(getattr(retriever, "passages", ()) or ())
    return f"{size} điều, lưu tại {cache_root() / str(_cache['fingerprint'])}"
