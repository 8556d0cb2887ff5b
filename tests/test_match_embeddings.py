"""Text affinity by sentence embeddings (the optional `tracktwo[embeddings]` extra)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tracktwo.match._embeddings import embed_descriptions, embeddings_available

pytestmark = pytest.mark.skipif(
    not embeddings_available(),
    reason="the embeddings extra is not installed (pip install 'tracktwo[embeddings]'); "
    "CI installs it",
)


def test_related_descriptions_are_closer_than_unrelated_ones() -> None:
    texts = [
        "Rice farmers' cooperative seeking help with post-harvest storage and marketing",
        "Agricultural extension service advising smallholder rice growers on storage and sales",
        "Symphony orchestra touring with a programme of baroque chamber music",
        "",
    ]
    vectors = embed_descriptions(texts).toarray()
    # rows are unit vectors, so dot products are cosines; the empty text is an empty row
    assert np.linalg.norm(vectors[:3], axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)
    assert not vectors[3].any()
    farming, orchestra = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert farming > orchestra + 0.2
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # the model came from the package, offline


def test_recommender_uses_embeddings_for_text(tmp_path) -> None:
    from tracktwo.bridges import Registry
    from tracktwo.bridges._edit import add_actor, add_tie
    from tracktwo.match import Recommender

    registry = Registry(home=tmp_path / "home")
    farm = add_actor(
        registry,
        name="Battambang Rice Cooperative",
        country="KHM",
        kind="farmers",
        description="rice farmers seeking post-harvest storage and marketing advice",
    )
    extension = add_actor(
        registry,
        name="Extension Service",
        country="USA",
        kind="farmers",
        description="advises rice growers on storage, drying and selling",
    )
    orchestra = add_actor(
        registry,
        name="Chamber Orchestra",
        country="USA",
        kind="farmers",
        description="baroque music concerts and touring",
    )
    other = add_actor(registry, name="Kampot Pepper Growers", country="KHM", kind="farmers")
    add_tie(registry, other["id"], orchestra["id"], "agricultural_cooperation")
    model = Recommender(text="embeddings", weights={"text": 1.0}).fit(registry)
    ranked = model.recommend(farm["id"], k=2)
    # with only the text weight, the extension service (same subject) ranks first
    assert ranked["candidate_id"].tolist()[0] == extension["id"]
    assert ranked["text"].iloc[0] > ranked["text"].iloc[1] >= 0.0
