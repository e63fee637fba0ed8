"""The memory pipeline with a scripted model at the LLM boundary and a real store.

(The same paths run on the real 0.5B model in test_pipeline_llm.py.)
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from localmem.llm import CallStats, ChatResult
from localmem.memory import Memory
from localmem.pipeline import OperationSettings, Pipeline
from localmem.store.scope import Scope
from localmem.types import EventType, Status

STATS = CallStats(model="scripted", adapter=None, prompt_tokens=10, cached_tokens=0, completion_tokens=5,
                  prompt_ms=1, generation_ms=1, total_ms=2)


class ScriptedRuntime:
    """Answers extract / update prompts from scripted replies, by operation."""

    name = "scripted"

    def __init__(self, extract: list[str], update: list[str] | None = None):
        self.replies = {"extract": list(extract), "update": list(update or [])}
        self.calls: list[tuple[str, list]] = []
        self.lock = threading.RLock()

    @staticmethod
    def _op(messages) -> str:
        return "update" if messages[-1]["content"].startswith("EXISTING:") else "extract"

    def chat(self, messages, *, adapter=None, **params):
        op = self._op(messages)
        self.calls.append((op, messages))
        if not self.replies[op]:
            raise AssertionError(f"unexpected {op} call: {messages[-1]['content']}")
        return ChatResult(text=self.replies[op].pop(0), finish_reason="stop", stats=STATS)

    def adapter_for(self, operation):
        return None


def extraction(*items: tuple[str, str, str]) -> str:
    return json.dumps({"memories": [
        {"text": t, "kind": k, "category": c, "confidence": 0.9, "valid_from": None} for t, k, c in items]})


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "m.db") as m:
        yield m


def log(mem: Memory, text: str, user: str = "ana"):
    scope = Scope.of(user)
    return scope, mem.store.log_messages(scope, [("user", text, {})], pending=True)


def test_facts_are_added_with_provenance(mem: Memory):
    rt = ScriptedRuntime([extraction(("User's cat is named Miso", "fact", "relationships"),
                                     ("User lives in Lyon", "fact", "location"))])
    scope, logged = log(mem, "My cat Miso and I live in Lyon.")
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert [e.event for e in result.events] == [EventType.ADD, EventType.ADD]
    assert result.events[0].memory.source.message_ids == [logged[0].id]
    assert result.events[0].memory.source.actor == "pipeline"
    assert not mem.store.pending_messages(user_id="ana")
    assert {m.text for m in mem.get_all(user_id="ana")} == {"User's cat is named Miso", "User lives in Lyon"}
    assert [op for op, _ in rt.calls] == ["extract"]  # nothing similar stored yet: no update call


def test_exact_duplicate_never_reaches_the_model(mem: Memory):
    scope, logged = log(mem, "I live in Lyon")
    Pipeline(mem.store, ScriptedRuntime([extraction(("User lives in Lyon", "fact", "location"))])).process(scope, logged)
    scope, logged = log(mem, "as I said, I live in Lyon.")
    rt = ScriptedRuntime([extraction(("User lives in lyon.", "fact", "location"))])  # no update reply scripted
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert [e.event for e in result.events] == [EventType.NONE]
    assert len(mem.get_all(user_id="ana")) == 1


def test_supersede_keeps_the_old_memory_with_history(mem: Memory):
    scope, logged = log(mem, "I live in Lyon")
    Pipeline(mem.store, ScriptedRuntime([extraction(("User lives in Lyon", "fact", "location"))])).process(scope, logged)
    old = mem.get_all(user_id="ana")[0]
    scope, logged = log(mem, "We just moved to Berlin!")
    rt = ScriptedRuntime([extraction(("User lives in Berlin", "fact", "location"))],
                         ['{"event": "SUPERSEDE", "id": 0, "text": null}'])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert [e.event for e in result.events] == [EventType.SUPERSEDE]
    assert result.events[0].previous_text == "User lives in Lyon"
    before = mem.get(old.id)
    assert before.status == Status.SUPERSEDED and before.valid_to is not None
    assert before.superseded_by == result.events[0].memory.id
    assert [m.text for m in mem.get_all(user_id="ana")] == ["User lives in Berlin"]
    assert "SUPERSEDE" in [h.action.value for h in mem.history(old.id)]
    # the model was shown the old memory under a small integer id
    assert "0. User lives in Lyon" in rt.calls[1][1][-1]["content"]


def test_memories_from_the_same_message_are_not_shown_to_the_update_step(mem: Memory):
    scope, logged = log(mem, "I live in Lyon")
    Pipeline(mem.store, ScriptedRuntime([extraction(("User lives in Lyon", "fact", "location"))])).process(scope, logged)
    scope, logged = log(mem, "I moved to Berlin last month, I live there now")
    # the move is stored first; when "lives in Berlin" is decided, the model sees the old home only
    # (shown the move as well, the update adapter superseded the move instead of Lyon); an exact
    # repeat of a sibling is still a NONE, without a model call
    rt = ScriptedRuntime([extraction(("User moved to Berlin in 2023-05", "event", "location"),
                                     ("User lives in Berlin", "fact", "location"),
                                     ("User moved to Berlin in 2023-05.", "event", "location"))],
                         ['{"event": "ADD", "id": null, "text": null}', '{"event": "SUPERSEDE", "id": 0, "text": null}'])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert [e.event for e in result.events] == [EventType.ADD, EventType.SUPERSEDE, EventType.NONE]
    assert result.events[1].previous_text == "User lives in Lyon"
    shown = rt.calls[2][1][-1]["content"]
    assert "0. User lives in Lyon" in shown and "moved to Berlin" not in shown
    assert len(rt.calls) == 3  # extract + two update calls: the repeat never reached the model
    active = {m.text for m in mem.get_all(user_id="ana")}
    assert active == {"User moved to Berlin in 2023-05", "User lives in Berlin"}


def test_context_is_the_recent_conversation_not_weeks_old_messages(mem: Memory):
    from datetime import datetime, timedelta, timezone

    scope = Scope.of("ana")
    day = datetime(2023, 5, 8, 18, 0, tzinfo=timezone.utc)
    mem.store.log_messages(scope, [("user", "My cat is called Miso.", {})], pending=False, at=day - timedelta(days=40))
    mem.store.log_messages(scope, [("user", "We talked about cats earlier.", {})], pending=False,
                           at=day - timedelta(minutes=5))
    logged = mem.store.log_messages(scope, [("user", "I work as a nurse.", {})], pending=True, at=day)
    rt = ScriptedRuntime([extraction(("User works as a nurse", "fact", "work"))])
    Pipeline(mem.store, rt).process(scope, logged)
    shown = rt.calls[0][1][-1]["content"]
    assert "EARLIER:\nuser: We talked about cats earlier.\nNEW:\nuser: I work as a nurse." in shown
    assert "Miso" not in shown


def test_update_merges_text_and_keeps_old_text_in_history(mem: Memory):
    scope, logged = log(mem, "I have a dog")
    Pipeline(mem.store, ScriptedRuntime([extraction(("User has a dog", "fact", "relationships"))])).process(scope, logged)
    dog = mem.get_all(user_id="ana")[0]
    scope, logged = log(mem, "my dog is a beagle called Rex")
    rt = ScriptedRuntime([extraction(("User's dog is a beagle named Rex", "fact", "relationships"))],
                         ['{"event": "UPDATE", "id": 0, "text": "User has a beagle named Rex"}'])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert result.events[0].event == EventType.UPDATE and result.events[0].memory.id == dog.id
    assert mem.get(dog.id).text == "User has a beagle named Rex"
    assert any(h.old_text == "User has a dog" for h in mem.history(dog.id))


def test_invented_id_is_rejected_and_the_fact_added(mem: Memory):
    scope, logged = log(mem, "I live in Lyon")
    Pipeline(mem.store, ScriptedRuntime([extraction(("User lives in Lyon", "fact", "location"))])).process(scope, logged)
    scope, logged = log(mem, "I work in Lyon too")
    rt = ScriptedRuntime([extraction(("User works in Lyon", "fact", "work"))],
                         ['{"event": "SUPERSEDE", "id": 7, "text": null}'])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert result.events[0].event == EventType.ADD
    assert "not shown" in result.events[0].memory.metadata["decision"]
    assert len(mem.get_all(user_id="ana")) == 2  # nothing superseded on a made-up id


def test_small_talk_yields_nothing_and_is_marked_done(mem: Memory):
    scope, logged = log(mem, "haha thanks, nice weather today")
    result = Pipeline(mem.store, ScriptedRuntime(['{"memories": []}'])).process(scope, logged)
    assert result.events == [] and not result.parked
    assert not mem.store.pending_messages(user_id="ana")


def test_garbage_is_retried_then_parked_and_reprocessed_later(mem: Memory):
    scope, logged = log(mem, "My sister is called Ines")
    garbage = ScriptedRuntime(["no json here", '{"memories": [{"text": 5}]}'])
    result = Pipeline(mem.store, garbage).process(scope, logged)
    assert result.parked and result.events == []
    assert len(garbage.calls) == 2  # first try + one stricter retry
    pending = mem.store.pending_messages(user_id="ana")
    assert [m.id for m in pending] == [logged[0].id]  # the message is kept for later
    failures = mem.store.failures(user_id="ana")
    assert failures[0].raw_outputs == ["no json here", '{"memories": [{"text": 5}]}']
    assert failures[0].message_ids == [logged[0].id]
    # later, a working model processes it
    good = ScriptedRuntime([extraction(("User's sister is named Ines", "fact", "relationships"))])
    again = Pipeline(mem.store, good).process(scope, pending)
    assert [e.event for e in again.events] == [EventType.ADD]
    assert not mem.store.pending_messages(user_id="ana")
    assert mem.store.failures(user_id="ana", include_resolved=False) == []


def test_update_drops_the_date_the_model_copied_from_the_prompt():
    from localmem.ops.update import Neighbour, UpdateDecision, resolve

    shown = [Neighbour(memory_id="m1", text="User loves paneer", date="2023-05-08")]
    merged = resolve(UpdateDecision(event="UPDATE", id=0, text="User loves paneer tikka (2023-05-08)"),
                     "User loves paneer tikka", shown)
    assert merged.text == "User loves paneer tikka" and merged.target_id == "m1"


def test_lossy_answers_add_the_candidate_instead():
    from localmem.ops.update import Neighbour, UpdateDecision, resolve

    oslo = [Neighbour(memory_id="m1", text="User lives in Oslo", similarity=0.69)]
    said_none = resolve(UpdateDecision(event="NONE", id=0), "User lives in Bergen", oslo)
    assert said_none.event == "ADD" and said_none.text == "User lives in Bergen" and "NONE" in said_none.reason
    lossy = resolve(UpdateDecision(event="UPDATE", id=0, text="User lives in Oslo and has a dog"),
                    "User is vegetarian", oslo)
    assert lossy.event == "ADD" and lossy.text == "User is vegetarian" and "dropped" in lossy.reason
    hiking = [Neighbour(memory_id="m2", text="User likes hiking in the mountains", similarity=0.95)]
    assert resolve(UpdateDecision(event="NONE", id=0), "User enjoys hiking in the mountains", hiking).event == "NONE"
    richer = resolve(UpdateDecision(event="UPDATE", id=0, text="User likes hiking in the Alps with friends"),
                     "User goes hiking in the Alps with friends", hiking)
    assert richer.event == "UPDATE" and richer.target_id == "m2"


def test_result_lists_the_candidates(mem: Memory):
    scope, logged = log(mem, "I live in Lyon")
    rt = ScriptedRuntime([extraction(("User lives in Lyon", "fact", "location"))])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert [c.text for c in result.candidates] == ["User lives in Lyon"]


class AdapterRuntime(ScriptedRuntime):
    """A runtime with memory adapters: the pipeline sends the short prompts."""

    def __init__(self, extract: list[str], update: list[str] | None = None):
        super().__init__(extract, update)
        self.adapters_used: list[str | None] = []
        self.grammars: list = []

    def chat(self, messages, *, adapter=None, **params):
        self.adapters_used.append(adapter)
        self.grammars.append(params.get("grammar"))
        return super().chat(messages, adapter=adapter, **params)

    def adapter_for(self, operation):
        return operation


def test_with_an_adapter_extraction_is_read_from_the_compact_form(mem: Memory):
    rt = AdapterRuntime(['[["User moved to Lyon in 2023-04","event","location","2023-04"],'
                         '["User is vegetarian","fact","food"]]'])
    scope, logged = log(mem, "I moved to Lyon last month (2023-04). Vegetarian, by the way.")
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert rt.adapters_used == ["extract"] and rt.calls[0][1][0]["content"] == "Extract memories."
    assert rt.grammars[0] is not None  # the compact schema's grammar
    stored = {m.text: m for m in mem.get_all(user_id="ana")}
    assert set(stored) == {"User moved to Lyon in 2023-04", "User is vegetarian"}
    moved = stored["User moved to Lyon in 2023-04"]
    assert (moved.kind.value, moved.category.value, moved.valid_from.date().isoformat()) == \
        ("event", "location", "2023-04-01")
    assert stored["User is vegetarian"].confidence == 0.9
    assert [(c.text, c.valid_from) for c in result.candidates] == \
        [("User moved to Lyon in 2023-04", "2023-04"), ("User is vegetarian", None)]


def test_with_an_adapter_the_update_decision_is_read_from_the_compact_form(mem: Memory):
    scope, logged = log(mem, "I live in Oslo")
    Pipeline(mem.store, AdapterRuntime(['[["User lives in Oslo","fact","location"]]'])).process(scope, logged)
    scope, logged = log(mem, "I moved to Bergen")
    rt = AdapterRuntime(['[["User lives in Bergen","fact","location"]]'], update=['["SUPERSEDE",0]'])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert rt.adapters_used == ["extract", "update"] and rt.calls[1][1][0]["content"] == "Update memory."
    assert [e.event.value for e in result.events] == ["SUPERSEDE"]
    assert [m.text for m in mem.get_all(user_id="ana")] == ["User lives in Bergen"]


def test_compact_update_round_trips_and_refuses_what_the_full_form_allows():
    from pydantic import ValidationError

    from localmem.ops.update import CompactUpdate, UpdateDecision, compact_json, parse_target

    for decision in (UpdateDecision(event="ADD"), UpdateDecision(event="NONE", id=2),
                     UpdateDecision(event="SUPERSEDE", id=0), UpdateDecision(event="UPDATE", id=1, text="User tea")):
        assert parse_target(compact_json(decision)) == decision
    assert compact_json(UpdateDecision(event="ADD")) == '["ADD"]'  # 3 tokens where the full form takes ~15
    assert parse_target('{"event": "NONE", "id": 1, "text": null}') == UpdateDecision(event="NONE", id=1)
    for bad in ('["ADD",0]', '["SUPERSEDE"]', '["UPDATE",0]', '["MERGE",0]', '["NONE",-1]'):
        with pytest.raises(ValidationError):
            CompactUpdate.model_validate_json(bad)


def test_with_an_adapter_the_full_form_is_malformed_and_parked(mem: Memory):
    """The adapter's path accepts only the compact form: an object (or an unknown kind) is retried,
    then parked with the raw outputs, the message kept pending."""
    scope, logged = log(mem, "My sister is called Ines")
    rt = AdapterRuntime([extraction(("User's sister is named Ines", "fact", "relationships")),
                         '[["User\'s sister is named Ines","sibling","relationships"]]'])
    result = Pipeline(mem.store, rt).process(scope, logged)
    assert result.parked and len(rt.calls) == 2 and "CompactExtraction" in (result.error or "")
    assert [m.id for m in mem.store.pending_messages(user_id="ana")] == [logged[0].id]
    assert len(mem.store.failures(user_id="ana")[0].raw_outputs) == 2
    good = AdapterRuntime(["[]"])
    assert Pipeline(mem.store, good).process(scope, logged).events == []
    assert not mem.store.pending_messages(user_id="ana")


def test_update_asks_the_model_only_above_the_similarity_floor():
    """bench/bench_update_floor.py: at 0.40 no gold target of the synthetic dev split is lost that
    0.35 kept, and a fifth of the update calls are saved."""
    from localmem.ops.update import MIN_SIMILARITY, Neighbour, decide

    assert MIN_SIMILARITY == 0.40
    rt = ScriptedRuntime([], update=['{"event": "SUPERSEDE", "id": 0, "text": null}'])
    below = [Neighbour(memory_id="m1", text="User lives in Oslo", similarity=0.38)]
    resolved, call = decide(rt, "User works at a bakery", below)
    assert (resolved.event, resolved.used_model, call) == ("ADD", False, None) and rt.calls == []
    above = [Neighbour(memory_id="m1", text="User lives in Oslo", similarity=0.69)]
    resolved, call = decide(rt, "User lives in Bergen", above)
    assert resolved.event == "SUPERSEDE" and resolved.target_id == "m1" and len(rt.calls) == 1


def test_update_floor_table_counts_calls_and_lost_targets():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_update_floor", Path(__file__).parents[1] / "bench" /
                                                  "bench_update_floor.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = [{"decision": "ADD", "max": 0.2, "target": None}, {"decision": "ADD", "max": 0.42, "target": None},
            {"decision": "SUPERSEDE", "max": 0.7, "target": 0.7}, {"decision": "UPDATE", "max": 0.5, "target": 0.37}]
    by_floor = {r["floor"]: r for r in bench.table(rows)}
    assert by_floor[0.35] == {"floor": 0.35, "model_calls": 3, "candidates": 4, "non_add_gold": 2,
                              "non_add_below_floor": 0}
    assert (by_floor[0.40]["model_calls"], by_floor[0.40]["non_add_below_floor"]) == (3, 1)
    assert (by_floor[0.60]["model_calls"], by_floor[0.60]["non_add_below_floor"]) == (1, 1)


def test_named_speakers_are_extracted_one_side_at_a_time(tmp_path: Path):
    """A conversation among several people (each user message names its speaker): one extraction per
    speaker, from their side (their turns as the user's, the others' as the other party's), and
    "User" in what comes out becomes their name; each memory's source is its speaker's turns."""
    rt = ScriptedRuntime([extraction(("User moved from Sweden", "fact", "location")),
                          extraction(("User's husband is named Tom", "fact", "relationships"),
                                      ("User and Caroline went hiking", "event", "other"))])
    with Memory(tmp_path / "group.db", llm=rt) as mem:
        events = mem.add([{"role": "user", "name": "Caroline", "content": "I moved here from Sweden 4 years ago."},
                          {"role": "user", "name": "Melanie", "content": "My husband Tom and I hiked with you!"}],
                         user_id="conv")
        assert [e.memory.text for e in events] == ["Caroline moved from Sweden", "Melanie's husband is named Tom",
                                                   "Melanie and Caroline went hiking"]
        first, second = (msgs[-1]["content"] for op, msgs in rt.calls if op == "extract")
        assert "user: I moved here from Sweden" in first and "assistant: My husband Tom" in first
        assert "assistant: I moved here from Sweden" in second and "user: My husband Tom" in second
        said = {m.metadata["speaker"]: m.id for m in mem.messages(user_id="conv")}
        assert events[0].memory.source.message_ids == [said["Caroline"]]
        assert events[1].memory.source.message_ids == [said["Melanie"]]
        assert not mem.store.pending_messages(user_id="conv")


class GroupAdapterRuntime(AdapterRuntime):
    """Adapters for every operation, ``extract-group`` included unless ``group`` is False."""

    def __init__(self, extract: list[str], group: bool = True):
        super().__init__(extract)
        self.group = group

    def adapter_for(self, operation):
        return None if operation == "update" or (operation == "extract-group" and not self.group) else operation


def test_named_turns_take_the_group_extract_adapter_and_the_user_s_the_one_user_adapter(tmp_path: Path):
    """Each kind of input its own extract adapter: the unnamed user's turns ``extract``, turns that
    name their speaker ``extract-group``; without a group adapter, named turns use ``extract``."""
    compact = '[["User moved from Sweden","fact","location"]]'
    rt = GroupAdapterRuntime([compact, compact, "[]"])  # Melanie's "Welcome!" holds nothing
    with Memory(tmp_path / "group.db", llm=rt) as mem:
        mem.add([{"role": "user", "content": "I moved here from Sweden."}], user_id="me")
        mem.add([{"role": "user", "name": "Caroline", "content": "I moved here from Sweden."},
                 {"role": "user", "name": "Melanie", "content": "Welcome!"}], user_id="conv")
    assert rt.adapters_used == ["extract", "extract-group", "extract-group"]
    assert all(msgs[0]["content"] == "Extract memories." for _, msgs in rt.calls)  # the short prompt
    plain = GroupAdapterRuntime([compact], group=False)
    with Memory(tmp_path / "plain.db", llm=plain) as mem:
        mem.add([{"role": "user", "name": "Caroline", "content": "I moved here from Sweden."}], user_id="conv")
    assert plain.adapters_used == ["extract"]
    settings = OperationSettings(extract_adapter="extract", extract_group_adapter="group")
    assert (settings.extract_adapter_for(None), settings.extract_adapter_for("Caroline")) == ("extract", "group")
    assert OperationSettings().extract_adapter_for("Caroline") is None  # no adapters: the full prompt


def test_a_failed_speaker_parks_the_whole_batch(tmp_path: Path):
    """If one speaker's extraction stays malformed nothing from the batch is applied: it waits, whole,
    for reprocessing (and no speaker's memories are written twice)."""
    rt = ScriptedRuntime([extraction(("User moved from Sweden", "fact", "location")), "garbage", "garbage"])
    with Memory(tmp_path / "group.db", llm=rt) as mem:
        events = mem.add([{"role": "user", "name": "Caroline", "content": "I moved here from Sweden."},
                          {"role": "user", "name": "Melanie", "content": "My husband is Tom."}], user_id="conv")
        assert events == [] and mem.last_result.parked
        assert mem.get_all(user_id="conv") == []
        assert len(mem.store.pending_messages(user_id="conv")) == 2


def test_a_named_message_stored_verbatim_says_who_said_it(mem: Memory):
    events = mem.add([{"role": "user", "name": "Caroline", "content": "I moved from Sweden."}], user_id="conv",
                     infer=False)
    assert [e.memory.text for e in events] == ["Caroline: I moved from Sweden."]
    assert events[0].memory.metadata["speaker"] == "Caroline"
