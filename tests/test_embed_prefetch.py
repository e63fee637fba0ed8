"""The one-shot CLI's query embedding in a forked child (localmem.embed_prefetch), with the real model."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from localmem import embed_prefetch
from localmem.embed import Embedder
from localmem.embed_prefetch import Prefetch
from localmem.memory import Memory

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


@pytest.fixture(scope="module")
def reference() -> Embedder:
    return Embedder.default()


@needs_fork
def test_the_child_embeds_the_text_exactly_as_the_model_does(reference: Embedder):
    text = "what does my sister love?"
    pre = Prefetch(text)
    forked = pre._pid is not None
    emb = pre.embedder()
    got = emb.embed([text])
    assert got.shape == (1, reference.dimension) and got.dtype == np.float32
    np.testing.assert_array_equal(got[0], reference.embed([text])[0])
    assert emb.model_id == reference.model_id and emb.dimension == reference.dimension
    if forked or threading.active_count() == 1:
        assert forked and emb._model is None  # answered from the child: no model loaded here


def test_another_text_loads_the_model(reference: Embedder):
    emb = Prefetch("first question").embedder()
    got = emb.embed(["something else", "and more"])
    np.testing.assert_array_equal(got, reference.embed(["something else", "and more"]))
    assert emb._model is not None


@needs_fork
def test_a_failing_child_falls_back_to_the_model(monkeypatch: pytest.MonkeyPatch, reference: Embedder):
    def broken(fd: int, text: str) -> int:
        os.write(fd, b"not a header")
        raise RuntimeError("model files missing")

    monkeypatch.setattr(embed_prefetch, "_embed_to", broken)
    pre = Prefetch("where do I live?")
    assert pre.result() is None
    emb = Prefetch("where do I live?").embedder()
    np.testing.assert_array_equal(emb.embed(["where do I live?"]), reference.embed(["where do I live?"]))


def test_no_fork_while_threads_run(reference: Embedder):
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        pre = Prefetch("hello")
        assert pre._pid is None and pre.result() is None
        np.testing.assert_array_equal(pre.embedder().embed(["hello"]), reference.embed(["hello"]))
    finally:
        stop.set()
        t.join()


def test_a_store_searched_with_a_prefetched_query_finds_the_same(tmp_path, reference: Embedder):
    db = tmp_path / "m.db"
    with Memory(db) as mem:
        for text in ("My sister loves yoga", "I live in Lyon", "My dog is called Pretzel"):
            mem.add(text, user_id="ana", infer=False)
        expected = [(r.id, round(r.score, 6)) for r in mem.search("what does my sister love?", user_id="ana")]
    with Memory(db, vector_cache=False, embedder=Prefetch("what does my sister love?").embedder()) as mem:
        got = [(r.id, round(r.score, 6)) for r in mem.search("what does my sister love?", user_id="ana")]
    assert got == expected and got[0][0]
