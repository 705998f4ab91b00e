"""Optional dense retrieval with a model2vec static model read from a LOCAL folder (never downloaded).

The folder is what `StaticModel.save_pretrained` writes: model.safetensors (the embedding matrix), tokenizer.json
(a `tokenizers` tokenizer) and config.json. Vectors are L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np


class DenseEncoder:
    def __init__(self, model, path: str):
        self.model = model
        self.path = path

    @classmethod
    def load(cls, path: str | Path) -> DenseEncoder:
        folder = Path(path)
        if not any((folder / f).is_file() for f in ("model.safetensors", "0_StaticEmbedding/model.safetensors")):
            # model2vec would take a missing folder for a hub id and try to download it: refuse first.
            raise FileNotFoundError(f"no model2vec model in {folder}; models are never fetched")
        from model2vec import StaticModel

        return cls(StaticModel.from_pretrained(folder, force_download=False), str(folder))

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(
            self.model.encode([unicodedata.normalize("NFC", t) for t in texts], show_progress_bar=False),
            dtype=np.float32,
        )
        if vectors.ndim == 1:
            vectors = vectors.reshape(1, -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms
