"""The memory pipeline: logged messages -> extract -> update decisions -> store.

Messages are logged (marked pending) before anything else runs, so a model failure or a crash
never loses what was said: pending messages are re-processed later (``localmem memories
reprocess``). A malformed model output is retried (``structured.chat_json``) and, if it still
fails, parked with its raw outputs in ``extraction_failures`` while the messages stay pending.
Re-processing is safe: exact duplicates are caught by the normalised-hash check in ``update``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel

from localmem.llm import Runtime
from localmem.ops import extract as extract_op
from localmem.ops import update as update_op
from localmem.speakers import extract_input, named, speaker, speakers
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.store.store import Store
from localmem.types import EventType, MemoryEvent, Message, Source

CONTEXT_TURNS = 4
CONTEXT_WINDOW = timedelta(hours=1)
NEIGHBOURS = 5


#: The operations a model's memory adapters serve (models.toml ``operation``), in the order shown.
MEMORY_OPERATIONS = ("extract", "extract-group", "update", "answer")


class OperationSettings(BaseModel):
    """Which adapter (if any) and prompt style each memory operation runs with.

    Extraction has two: ``extract`` for one user talking to the assistant, ``extract-group`` for
    turns that name their speaker (a conversation among several people, e.g. LoCoMo). Trained on
    group chats, an extract adapter keeps more of what friends tell each other and loses some of
    the one-user assistant's "now" facts (BENCHMARKS.md, fifteenth cycle), so each kind of input
    gets its own; without an ``extract-group`` adapter, named turns use ``extract``."""

    extract_adapter: str | None = None
    extract_group_adapter: str | None = None
    update_adapter: str | None = None
    answer_adapter: str | None = None

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> OperationSettings:
        return cls(extract_adapter=runtime.adapter_for("extract"),
                   extract_group_adapter=runtime.adapter_for("extract-group"),
                   update_adapter=runtime.adapter_for("update"), answer_adapter=runtime.adapter_for("answer"))

    def extract_adapter_for(self, who: str | None) -> str | None:
        """The extract adapter for the turns of speaker ``who`` (None: the unnamed user)."""
        return self.extract_adapter if who is None else (self.extract_group_adapter or self.extract_adapter)

    def prompt(self, adapter: str | None) -> str:
        return "short" if adapter else "full"


class PipelineResult(BaseModel):
    events: list[MemoryEvent]
    candidates: list[extract_op.ExtractedMemory] = []  # what extraction proposed, before decisions
    parked: bool = False
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        return datetime(parts[0], parts[1], parts[2], tzinfo=timezone.utc)
    except ValueError:
        return None


class Pipeline:
    """Runs extract and update for one store with one runtime."""

    def __init__(self, store: Store, runtime: Runtime, settings: OperationSettings | None = None):
        self.store = store
        self.runtime = runtime
        self.settings = settings or OperationSettings.for_runtime(runtime)

    def process(self, scope: Scope, logged: Sequence[Message]) -> PipelineResult:
        """Extract memories from ``logged`` (already stored, pending) and apply the decisions.

        Turns that name their speaker (a conversation among several people) are extracted once per
        speaker, from that speaker's side, with the group extract adapter where there is one, and
        "User" in what comes out becomes their name (``localmem.speakers``)."""
        user_turns = [m for m in logged if m.role == "user"]
        if not user_turns:
            self.store.mark_extracted([m.id for m in logged])
            return PipelineResult(events=[])
        at = max(m.created_at for m in logged)
        ids = {m.id for m in logged}
        # Context is the conversation going on: a few earlier turns from the last CONTEXT_WINDOW, not
        # what was said weeks ago (the extract adapter, trained on same-session context, blended a
        # weeks-old message into the new turn's facts).
        start = min(m.created_at for m in logged) - CONTEXT_WINDOW
        context = [m for m in self.store.messages(scope, limit=CONTEXT_TURNS + len(logged))
                   if m.id not in ids and m.created_at >= start]
        context = sorted(context, key=lambda m: m.created_at)[-CONTEXT_TURNS:]
        s = self.settings
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "llm_calls": 0}
        found: list[tuple[extract_op.ExtractedMemory, Source]] = []
        for who in speakers(user_turns):
            new, seen = extract_input(logged, who, context)
            adapter = s.extract_adapter_for(who)
            result = extract_op.extract(self.runtime, new, today=at.date(), context=seen,
                                        adapter=adapter, prompt=s.prompt(adapter))
            _add_usage(usage, result.attempts)
            if not result.ok or result.value is None:  # nothing applied: the whole batch waits for reprocess
                self.store.park_failure(scope, [m.id for m in logged], operation="extract",
                                        error=result.error or "", raw_outputs=[a.raw for a in result.attempts])
                return PipelineResult(events=[], parked=True, error=result.error, **usage)
            source = Source(message_ids=[m.id for m in user_turns if speaker(m) == who], actor="pipeline")
            found += [(cand.model_copy(update={"text": named(cand.text, who)}), source)
                      for cand in result.value.memories]
        events: list[MemoryEvent] = []
        user_scope = Scope.of(scope.user_id, scope.agent_id, None)
        for cand, source in found:
            event, call = self._apply(scope, user_scope, cand, source, at)
            events.append(event)
            if call is not None:
                _add_usage(usage, call.attempts)
        self.store.mark_extracted([m.id for m in logged])
        return PipelineResult(events=events, candidates=[c for c, _ in found], **usage)

    def _apply(self, scope: Scope, user_scope: Scope, cand: extract_op.ExtractedMemory, source: Source,
               at: datetime) -> tuple[MemoryEvent, Any]:
        hits = self.store.search(cand.text, user_scope, limit=NEIGHBOURS)
        # Memories extracted from these same messages are atomic siblings of the candidate, never an
        # older state of it: they are not shown to the model (the update adapter never saw such
        # neighbours in training, and answered "User lives in Berlin" SUPERSEDES the sibling "User
        # moved to Berlin" instead of the old "User lives in Lyon"), but an exact repeat of one is
        # still a NONE.
        said_now = set(source.message_ids)
        siblings = {h.id for h in hits if said_now & set(h.source.message_ids)}
        neighbours = [update_op.Neighbour(
            memory_id=h.id, text=h.text,
            date=(h.valid_from or h.created_at).date().isoformat(),
            similarity=(h.match.vector_similarity if h.match and h.match.vector_similarity is not None else 0.0),
        ) for h in hits]
        s = self.settings
        resolved, call = update_op.decide(self.runtime, cand.text, neighbours, adapter=s.update_adapter,
                                          prompt=s.prompt(s.update_adapter), hidden=siblings)
        new = NewMemory(text=resolved.text, kind=cand.kind, category=cand.category, confidence=cand.confidence,
                        source=source, valid_from=_parse_date(cand.valid_from),
                        metadata={"decision": resolved.reason} if resolved.reason else {})
        if resolved.event == "NONE" and resolved.target_id:
            return MemoryEvent(event=EventType.NONE, memory=self.store.get(resolved.target_id)), call
        if resolved.event == "UPDATE" and resolved.target_id:
            before, after = self.store.update_memory(resolved.target_id, text=resolved.text, actor="pipeline")
            return MemoryEvent(event=EventType.UPDATE, memory=after, previous_text=before.text), call
        if resolved.event == "SUPERSEDE" and resolved.target_id:
            old, stored = self.store.supersede(resolved.target_id, new, actor="pipeline", at=at)
            return MemoryEvent(event=EventType.SUPERSEDE, memory=stored, previous_text=old.text), call
        stored = self.store.add_memory(scope, new, actor="pipeline", at=at)
        return MemoryEvent(event=EventType.ADD, memory=stored), call


def _add_usage(usage: dict[str, int], attempts: Sequence[Any]) -> None:
    usage["prompt_tokens"] += sum(a.stats.prompt_tokens for a in attempts)
    usage["completion_tokens"] += sum(a.stats.completion_tokens for a in attempts)
    usage["llm_calls"] += len(attempts)
