"""Hybrid retrieval: ranking, modes, filters, scoping, and the equivalence of the vector paths."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import numpy as np
import pytest

from localmem.store import NewMemory, Scope, SearchConfig, Store
from localmem.store.search import fts_query
from localmem.types import Category, Kind, SearchFilters
from store_fixtures import db_path, embedder, store  # noqa: F401

ANA = Scope("ana")
FACTS = [
    ("Ana's sister Marta lives in Lyon", Kind.FACT, Category.RELATIONSHIPS),
    ("Ana is allergic to peanuts", Kind.FACT, Category.HEALTH),
    ("Ana prefers short answers without emoji", Kind.PREFERENCE, Category.COMMUNICATION_STYLE),
    ("Ana ran the Berlin marathon in 2023", Kind.EVENT, Category.HOBBIES),
    ("Ana works as a dental hygienist", Kind.FACT, Category.WORK),
    ("Ana's cat is called Miso", Kind.FACT, Category.RELATIONSHIPS),
    ("Ana loves spicy Thai food", Kind.PREFERENCE, Category.FOOD),
]


@pytest.fixture
def facts(store):
    return store.add_memories(ANA, [NewMemory(text=t, kind=k, category=c) for t, k, c in FACTS])


def texts(results):
    return [r.text for r in results]


def test_hybrid_search_ranks_the_relevant_memory_first_with_scores(store, facts):
    results = store.search("what is the name of her cat?", ANA, limit=3)
    assert results[0].text == "Ana's cat is called Miso"
    assert len(results) == 3
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    top = results[0].match
    assert top.vector_rank == 1 and top.text_rank == 1 and top.vector_similarity > 0.4


def test_each_mode_uses_its_retriever(store, facts):
    vector = store.search("food allergy", ANA, config=SearchConfig(mode="vector"))
    assert vector[0].text == "Ana is allergic to peanuts"
    assert all(r.match.text_rank is None and r.score == r.match.vector_similarity for r in vector)
    text = store.search("marathon", ANA, config=SearchConfig(mode="text"))
    assert texts(text) == ["Ana ran the Berlin marathon in 2023"]  # BM25 finds only term matches
    assert text[0].match.bm25 > 0 and text[0].match.vector_rank is None


def test_limit_is_respected(store, facts):
    assert len(store.search("Ana", ANA, limit=2)) == 2
    assert len(store.search("Ana", ANA, limit=100)) == len(FACTS)


def test_filters_on_kind_category_time_and_metadata(store):
    early = datetime(2023, 1, 1, tzinfo=timezone.utc)
    late = datetime(2025, 1, 1, tzinfo=timezone.utc)
    store.add_memory(ANA, NewMemory(text="Ana likes jazz", kind=Kind.PREFERENCE, category=Category.MEDIA,
                                    metadata={"dialogue": "d1", "turn": 3}), at=early)
    store.add_memory(ANA, NewMemory(text="Ana went to a jazz concert", kind=Kind.EVENT, category=Category.MEDIA,
                                    metadata={"dialogue": "d2", "flag": True}), at=late)
    store.add_memory(ANA, NewMemory(text="Ana plays jazz piano", kind=Kind.FACT, category=Category.HOBBIES,
                                    metadata={"dialogue": "d1"}), at=late)
    q = "jazz"
    assert texts(store.search(q, ANA, SearchFilters(kind="event"))) == ["Ana went to a jazz concert"]
    assert set(texts(store.search(q, ANA, SearchFilters(category=["media"])))) == {
        "Ana likes jazz", "Ana went to a jazz concert"}
    assert texts(store.search(q, ANA, SearchFilters(created_before=datetime(2024, 1, 1)))) == ["Ana likes jazz"]
    assert len(store.search(q, ANA, SearchFilters(created_after=late))) == 2
    assert set(texts(store.search(q, ANA, SearchFilters(metadata={"dialogue": "d1"})))) == {
        "Ana likes jazz", "Ana plays jazz piano"}
    assert texts(store.search(q, ANA, SearchFilters(metadata={"turn": 3}))) == ["Ana likes jazz"]
    assert texts(store.search(q, ANA, SearchFilters(metadata={"flag": True}))) == ["Ana went to a jazz concert"]
    assert store.search(q, ANA, SearchFilters(metadata={"dialogue": "d9"})) == []
    assert store.list(ANA, SearchFilters(kind=["fact", "event"], category="hobbies"))[0].text == "Ana plays jazz piano"


def test_valid_at_and_superseded_memories(store):
    moved = datetime(2024, 6, 1, tzinfo=timezone.utc)
    old = store.add_memory(ANA, NewMemory(text="Ana lives in Lyon"), at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    store.supersede(old.id, NewMemory(text="Ana lives in Osaka"), at=moved)
    assert texts(store.search("where does Ana live", ANA)) == ["Ana lives in Osaka"]
    both = store.search("where does Ana live", ANA, SearchFilters(include_superseded=True))
    assert set(texts(both)) == {"Ana lives in Lyon", "Ana lives in Osaka"}
    then = SearchFilters(include_superseded=True, valid_at=datetime(2022, 1, 1))
    assert texts(store.search("where does Ana live", ANA, then)) == ["Ana lives in Lyon"]


def test_scope_never_crosses_users_and_narrows_to_agent_and_session(store):
    store.add_memory(Scope("ana"), NewMemory(text="The door code is 4321"))
    store.add_memory(Scope("bob", "coach", "s1"), NewMemory(text="The door code is 9876"))
    store.add_memory(Scope("bob", "coach", "s2"), NewMemory(text="The garage code is 1111"))
    store.add_memory(Scope("bob", "chef"), NewMemory(text="The pantry code is 2222"))
    assert texts(store.search("door code", Scope("ana"))) == ["The door code is 4321"]
    assert "The door code is 4321" not in texts(store.search("door code", Scope("bob")))
    assert set(texts(store.search("code", Scope("bob", "coach")))) == {"The door code is 9876",
                                                                        "The garage code is 1111"}
    assert texts(store.search("code", Scope("bob", "coach", "s2"))) == ["The garage code is 1111"]
    assert store.search("code", Scope("carol")) == []


@pytest.mark.parametrize("query", ['"unbalanced', "a AND OR NOT b", "NEAR(x y)", "prefix*", "col:umn", "(((",
                                   "-minus +plus ^caret", "ünïcödé naïve café", "💥🔥", "' OR 1=1 --"])
def test_full_text_syntax_in_queries_is_treated_as_words(store, facts, query):
    results = store.search(query, ANA)
    assert isinstance(results, list)  # no FTS5 syntax error, no injection


def test_fts_query_quotes_words_and_drops_stopwords():
    assert fts_query("What is the name of her cat?") == '"name" OR "cat"'
    assert fts_query("What is the name of her cat?", "AND") == '"name" AND "cat"'
    assert fts_query('say "hi" AND bye*') == '"hi" OR "bye"'
    assert fts_query("what is it?") is None


def test_full_text_ranks_memories_with_all_words_then_fills_with_any_word(store):
    store.add_memories(ANA, [NewMemory(text="Ana's brother loves sailing"), NewMemory(text="Ana loves tea"),
                             NewMemory(text="her brother moved to Oslo"), NewMemory(text="sailing lessons on Sunday")])
    got = texts(store.search("brother sailing", ANA, config=SearchConfig(mode="text")))
    assert got[0] == "Ana's brother loves sailing"
    assert set(got[1:]) == {"her brother moved to Oslo", "sailing lessons on Sunday"}


def test_a_query_of_only_stopwords_still_uses_vectors(store, facts):
    results = store.search("what is it that she does?", ANA)
    assert results and all(r.match.text_rank is None for r in results)


def _corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    people = ["my sister", "my brother", "my friend Ana", "my boss", "my neighbour", "my daughter", "my partner"]
    verbs = ["loves", "hates", "is learning", "talked about", "wants to try", "is obsessed with", "gave up"]
    things = ["rock climbing", "the violin", "Korean cooking", "chess openings", "marathon training", "oil painting",
              "birdwatching", "sourdough bread", "Italian lessons", "vintage cameras", "salsa dancing", "gardening",
              "astronomy", "pottery", "sailing", "jazz piano", "knitting", "poker", "surfing", "yoga"]
    places = ["in Lyon", "in Osaka", "at the weekend", "after work", "every morning", "since last year", "with kids"]
    return [f"{rng.choice(people)} {rng.choice(verbs)} {rng.choice(things)} {rng.choice(places)} (note {i})"
            for i in range(n)]


def test_candidate_paths_find_the_same_results_as_an_exact_scan(store):
    store.add_memories(ANA, [NewMemory(text=t) for t in _corpus(600)])
    store.add_memories(Scope("bob"), [NewMemory(text=t) for t in _corpus(100, seed=8)])
    queries = ["who is learning the violin?", "cooking classes", "my sister's hobbies", "sport on the weekend",
               "bread baking", "music lessons", "what does my boss hate", "dancing in Osaka"]
    # Few candidates (min 40 of 600): the binary codes must still surface the exact top results.
    small = dict(min_candidates=40, candidate_factor=2, depth=10)
    exact = SearchConfig(mode="vector", vector_index="exact", depth=10)
    agree = 0
    for q in queries:
        want = [r.id for r in store.search(q, ANA, limit=10, config=exact)]
        for index in ("cache", "vec0"):
            got = [r.id for r in store.search(q, ANA, limit=10, config=SearchConfig(mode="vector",
                                                                                   vector_index=index, **small))]
            agree += len(set(got) & set(want))
            assert got[0] == want[0]
    assert agree / (len(queries) * 2 * 10) >= 0.9
    # With the default number of candidates the results are exactly those of the exact scan.
    for q in queries:
        want = store.search(q, ANA, limit=10, config=exact)
        for index in ("cache", "vec0"):
            got = store.search(q, ANA, limit=10, config=SearchConfig(mode="vector", vector_index=index))
            assert [r.id for r in got] == [r.id for r in want]
            np.testing.assert_allclose([r.score for r in got], [r.score for r in want], rtol=1e-6)


def test_filters_that_exclude_most_candidates_still_find_matches(store):
    store.add_memories(ANA, [NewMemory(text=t) for t in _corpus(400)])
    rare = store.add_memory(ANA, NewMemory(text="my sister loves pottery in Lyon (rare)", category=Category.TRAVEL))
    config = SearchConfig(mode="vector", min_candidates=20, candidate_factor=1, prefilter_max=0)
    for index in ("cache", "vec0"):
        got = store.search("anything at all", ANA, SearchFilters(category="travel"),
                           config=SearchConfig(**{**config.__dict__, "vector_index": index}))
        assert [r.id for r in got] == [rare.id]


def test_cache_sees_writes_made_by_another_connection(db_path, embedder):
    reader = Store(db_path, embedder=embedder, vector_cache=True)
    writer = Store(db_path, embedder=embedder)
    try:
        writer.add_memory(ANA, NewMemory(text="Ana collects stamps"))
        assert texts(reader.search("stamp collection", ANA, limit=1)) == ["Ana collects stamps"]
        item = writer.add_memory(ANA, NewMemory(text="Ana keeps bees on her roof"))
        assert reader.search("beekeeping", ANA, limit=1)[0].id == item.id
        writer.update_memory(item.id, text="Ana keeps chickens in her garden")
        top = reader.search("poultry", ANA, limit=1, config=SearchConfig(mode="vector"))[0]
        assert top.id == item.id and top.text == "Ana keeps chickens in her garden"
        writer.delete(item.id)
        assert item.id not in [r.id for r in reader.search("chickens", ANA)]
    finally:
        reader.close()
        writer.close()


def test_search_hits_are_counted_as_accesses(store, facts):
    hit = store.search("cat name", ANA, limit=1)[0]
    store.search("cat name", ANA, limit=1)
    store.flush()
    item = store.get(hit.id)
    assert item.access_count == 2 and item.last_accessed_at is not None
    assert [h.action.value for h in store.history(hit.id)] == ["ADD"]  # not a content change


def test_access_counts_reach_the_file_while_searching(store, facts, monkeypatch, db_path):
    from localmem.store import store as store_module

    monkeypatch.setattr(store_module, "ACCESS_FLUSH_SECONDS", 0.0)
    hit = store.search("cat name", ANA, limit=1)[0]
    other = Store(db_path, embedder=store.embedder)  # another connection sees it without a flush()
    try:
        assert other.get(hit.id).access_count == 1
    finally:
        other.close()


def test_full_text_finds_a_scopes_match_buried_under_other_users_matches(store):
    store.add_memories(Scope("bob"), [NewMemory(text=f"jazz jazz night number {i}") for i in range(250)])
    mine = store.add_memory(ANA, NewMemory(text="Ana once mentioned that she quite likes jazz, among many other genres"))
    got = store.search("jazz", ANA, config=SearchConfig(mode="text"))
    assert [r.id for r in got] == [mine.id]
    assert len(store.search("jazz", Scope("bob"), limit=300, config=SearchConfig(mode="text"))) == 250



def test_int8_quantisation_keeps_cosine_order():
    from localmem.store.vectors import quantize

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q8, scale = quantize(vectors)
    query = vectors[7] + 0.3 * rng.normal(size=384).astype(np.float32)
    query /= np.linalg.norm(query)
    exact = vectors @ query
    approx = (q8.astype(np.float32) @ query) * scale
    assert np.abs(exact - approx).max() < 0.01
    assert list(np.argsort(-approx)[:10]) == list(np.argsort(-exact)[:10])


def test_words_found_in_no_memory_do_not_empty_the_all_words_query(store):
    store.add_memories(Scope("ana"), [NewMemory(text=f"User went sailing with friends in port {i}")
                                      for i in range(25)] + [NewMemory(text="User likes friends")])
    from localmem.store.search import content_words, indexed_words

    words = content_words("does anyone go sailing with friends?")
    assert indexed_words(store.db, words) == ["sailing", "friends"]  # "anyone", "go": in no memory
    got = store.search("does anyone go sailing with friends?", Scope("ana"), limit=20,
                       config=SearchConfig(mode="text"))
    assert len(got) == 20 and all("sailing" in r.text for r in got)
