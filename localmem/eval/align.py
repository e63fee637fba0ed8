"""From what a pipeline did to per-gold-memory decisions, for ``score_updates`` / ``score_final_state``.

End to end, the update step sees the extractor's candidates, not the gold memories. Extraction
scoring already pairs candidates with gold memories (``TurnScore.matches``); this module carries each
candidate's update event over to its gold memory, and maps the existing memory the event acted on
(by its text) to the nearest earlier gold memory of the same conversation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from localmem.eval.devset import Conversation, memory_key
from localmem.eval.match import DEFAULT_THRESHOLD, Embed, embed_unique, nearest
from localmem.eval.score import DECISIONS, ExtractionScores, PredictedDecision


@dataclass(frozen=True)
class PipelineEvent:
    """What the update step did with one candidate: the event, and the text the existing memory it
    acted on had before the change (None for ADD)."""

    event: str
    target_text: str | None = None

    def __post_init__(self) -> None:
        if self.event not in DECISIONS:
            raise ValueError(f"unknown event {self.event!r}; expected one of {DECISIONS}")


def decisions_from_events(conversations: Iterable[Conversation], extraction: ExtractionScores,
                          events: Mapping[str, Sequence[PipelineEvent]], embed: Embed, *,
                          threshold: float = DEFAULT_THRESHOLD, guard: bool = True) -> dict[str, PredictedDecision]:
    """``events[turn_key][i]`` is the event for the turn's i-th predicted memory (same order as the
    predictions given to ``score_extraction``). Gold memories whose candidate was not extracted get
    no decision (``MISSING`` in the confusion matrix)."""
    convs = {c.id: c for c in conversations}
    turns = {t.key: t for t in extraction.turns}
    unknown = sorted(set(events) - set(turns))
    if unknown:
        raise KeyError(f"events for turns that were not scored: {unknown[:5]}")
    texts = [m.text for c in convs.values() for m in c.memories()]
    texts += [e.target_text for evs in events.values() for e in evs if e.target_text]
    vectors = embed_unique(embed, texts)
    out: dict[str, PredictedDecision] = {}
    for key, evs in events.items():
        turn = turns[key]
        if len(evs) != len(turn.predicted):
            raise ValueError(f"turn {key}: {len(evs)} events for {len(turn.predicted)} predicted memories")
        conv = convs[key.split("/", 1)[0]]
        order = [m.id for m in conv.memories()]
        for match in turn.matches:
            gold, event = turn.gold[match.gold], evs[match.pred]
            target = None
            if event.target_text:
                earlier = conv.memories()[:order.index(gold.id)]
                (i,) = nearest([m.text for m in earlier], [event.target_text], vectors,
                               threshold=threshold, guard=guard)
                target = earlier[i].id if i is not None else None
            out[memory_key(conv.id, gold.id)] = PredictedDecision(event.event, target)
    return out
