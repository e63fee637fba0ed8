"""Scores for the memory pipeline against the dev set (``localmem.eval.devset``). Pure functions.

Extraction (``score_extraction``): per user turn, predicted memory texts are matched one-to-one to
the turn's gold memories by meaning (``localmem.eval.match``: MiniLM cosine >= ``DEFAULT_THRESHOLD``
plus narrow conflict checks; the threshold is justified in ``bench/data/THRESHOLD.md``).
Micro precision / recall / F1 over all turns; kind and category accuracy on the matched pairs, and
date accuracy (``valid_from`` resolved to the gold string) on matched pairs with a dated gold; the
small-talk false-positive rate is the share of turns with empty gold that produced any memory.
Conventions: with no predictions precision is 0 (1 when there was nothing to find either), with no
gold recall is 0 (1 when nothing was predicted), and F1 is 0 when precision + recall is 0.

Update (``score_updates``): the predicted decision for each gold memory (keyed
``"<conversation>/<memory>"``), as a confusion matrix gold x predicted (``MISSING`` when a memory got
no decision, e.g. it was never extracted), accuracy, per-type precision / recall, and for correct
UPDATE / SUPERSEDE / NONE decisions whether they named the right earlier memory.

Final state (``score_final_state``): what the store holds after a whole conversation. Each stored
memory is assigned to its nearest gold memory. A gold SUPERSEDE is *resolved* when it was decided
as SUPERSEDE (of the right memory, when the decision names one) and no active stored memory is
still assigned to the memory it replaced. ``localmem.eval.align`` turns a pipeline's per-candidate
events into the per-gold-memory decisions these functions take. A gold NONE
whose repeat reached the update step (it has a decision) is *avoided* when at most one active
stored memory is assigned to that fact (its target and every NONE repeating it); a repeat that was
never extracted cannot make a duplicate and is left out of the rate (``duplicates_unseen``).

Answers (``score_answers``): SQuAD-style token F1 against the gold answer (best over its
alternatives) for answerable probes; for unanswerable ones, whether the reply abstains
(``ABSTENTION_PATTERNS``). Abstaining on an answerable probe is counted as a false abstention.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localmem.eval.devset import Conversation, Decision, GoldMemory, LabelledTurn, memory_key
from localmem.eval.match import DEFAULT_THRESHOLD, Embed, Match, embed_unique, match_one_to_one, nearest

DECISIONS = tuple(d.value for d in Decision)
MISSING = "MISSING"


def _ratio(num: int, den: int, empty: float | None = 0.0) -> float | None:
    return num / den if den else empty


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# ---- extraction ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A predicted memory: its text, and its kind, category and date when the extractor gave them."""

    text: str
    kind: str | None = None
    category: str | None = None
    valid_from: str | None = None

    @classmethod
    def of(cls, item: Any) -> "Candidate":
        """From a ``Candidate``, a dict or any object with ``text`` (and ``kind`` / ``category``)."""
        if isinstance(item, Candidate):
            return item
        get = item.get if isinstance(item, Mapping) else (lambda k, d=None: getattr(item, k, d))
        text = get("text")
        if not isinstance(text, str):
            raise TypeError(f"a predicted memory needs a text string, got {item!r}")
        kind, category, valid_from = get("kind"), get("category"), get("valid_from")
        return cls(text, getattr(kind, "value", kind), getattr(category, "value", category),
                   str(valid_from) if valid_from is not None else None)


@dataclass(frozen=True)
class TurnScore:
    key: str
    gold: tuple[GoldMemory, ...]
    predicted: tuple[Candidate, ...]
    matches: tuple[Match, ...]

    @property
    def missed(self) -> list[GoldMemory]:
        hit = {m.gold for m in self.matches}
        return [g for i, g in enumerate(self.gold) if i not in hit]

    @property
    def spurious(self) -> list[Candidate]:
        hit = {m.pred for m in self.matches}
        return [c for i, c in enumerate(self.predicted) if i not in hit]


@dataclass(frozen=True)
class ExtractionScores:
    n_gold: int
    n_predicted: int
    n_matched: int
    precision: float
    recall: float
    f1: float
    kind_accuracy: float | None        # over matched pairs whose prediction has a kind
    category_accuracy: float | None    # over matched pairs whose prediction has a category
    date_accuracy: float | None        # over matched pairs whose gold has a valid_from: same string
    small_talk_turns: int              # user turns whose gold is empty
    small_talk_turns_with_output: int
    small_talk_memories: int           # memories produced for those turns
    small_talk_fp_rate: float | None   # small_talk_turns_with_output / small_talk_turns
    missing_turns: tuple[str, ...]     # gold turns with no entry in the predictions (scored as empty)
    turns: tuple[TurnScore, ...]


def score_extraction(turns: Iterable[LabelledTurn], predictions: Mapping[str, Sequence[Any]], embed: Embed, *,
                     threshold: float = DEFAULT_THRESHOLD, guard: bool = True) -> ExtractionScores:
    """Score predicted memories per user turn (``predictions[turn.key]``) against the gold."""
    turns = list(turns)
    known = {t.key for t in turns}
    unknown = sorted(set(predictions) - known)
    if unknown:
        raise KeyError(f"predictions for turns that are not in the dev set: {unknown[:5]}")
    preds = {t.key: tuple(Candidate.of(c) for c in predictions.get(t.key, ())) for t in turns}
    vectors = embed_unique(embed, [g.text for t in turns for g in t.gold] +
                           [c.text for cs in preds.values() for c in cs])
    scored = []
    kind_ok = kind_n = cat_ok = cat_n = date_ok = date_n = 0
    for t in turns:
        cands = preds[t.key]
        found = match_one_to_one([g.text for g in t.gold], [c.text for c in cands], vectors,
                                 threshold=threshold, guard=guard)
        for m in found:
            gold, cand = t.gold[m.gold], cands[m.pred]
            if cand.kind is not None:
                kind_n += 1
                kind_ok += cand.kind == gold.kind.value
            if cand.category is not None:
                cat_n += 1
                cat_ok += cand.category == gold.category.value
            if gold.valid_from is not None:
                date_n += 1
                date_ok += cand.valid_from == gold.valid_from
        scored.append(TurnScore(t.key, t.gold, cands, tuple(found)))
    n_gold = sum(len(s.gold) for s in scored)
    n_pred = sum(len(s.predicted) for s in scored)
    n_match = sum(len(s.matches) for s in scored)
    precision = _ratio(n_match, n_pred, 1.0 if n_gold == 0 else 0.0)
    recall = _ratio(n_match, n_gold, 1.0 if n_pred == 0 else 0.0)
    small = [s for s in scored if not s.gold]
    noisy = [s for s in small if s.predicted]
    return ExtractionScores(
        n_gold=n_gold, n_predicted=n_pred, n_matched=n_match, precision=precision, recall=recall,
        f1=_f1(precision, recall), kind_accuracy=_ratio(kind_ok, kind_n, None),
        category_accuracy=_ratio(cat_ok, cat_n, None), date_accuracy=_ratio(date_ok, date_n, None),
        small_talk_turns=len(small),
        small_talk_turns_with_output=len(noisy), small_talk_memories=sum(len(s.predicted) for s in small),
        small_talk_fp_rate=_ratio(len(noisy), len(small), None),
        missing_turns=tuple(t.key for t in turns if t.key not in predictions), turns=tuple(scored))


# ---- update decisions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PredictedDecision:
    """What the pipeline did with one gold memory: the event, and the id of the earlier gold memory
    it acted on (for UPDATE / SUPERSEDE / NONE; None when unknown)."""

    event: str
    target: str | None = None

    def __post_init__(self) -> None:
        if self.event not in DECISIONS:
            raise ValueError(f"unknown decision {self.event!r}; expected one of {DECISIONS}")


@dataclass(frozen=True)
class TypeScore:
    support: int      # gold decisions of this type
    predicted: int    # predictions of this type
    correct: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class UpdateScores:
    confusion: dict[str, dict[str, int]]   # confusion[gold][predicted], predicted includes MISSING
    n: int
    accuracy: float | None
    per_type: dict[str, TypeScore]
    target_accuracy: float | None          # right target among correct non-ADD decisions that name one
    missing: tuple[str, ...]


def gold_decisions(conversations: Iterable[Conversation]) -> dict[str, GoldMemory]:
    """Every gold memory by ``memory_key``, in order."""
    return {memory_key(c.id, m.id): m for c in conversations for m in c.memories()}


def score_updates(conversations: Iterable[Conversation], predictions: Mapping[str, PredictedDecision]) -> UpdateScores:
    gold = gold_decisions(conversations)
    unknown = sorted(set(predictions) - set(gold))
    if unknown:
        raise KeyError(f"decisions for memories that are not in the dev set: {unknown[:5]}")
    confusion = {g: {p: 0 for p in (*DECISIONS, MISSING)} for g in DECISIONS}
    target_ok = target_n = 0
    for key, mem in gold.items():
        pred = predictions.get(key)
        confusion[mem.decision.value][pred.event if pred else MISSING] += 1
        if pred and pred.event == mem.decision.value and mem.target and pred.target is not None:
            target_n += 1
            target_ok += pred.target == mem.target
    per_type = {}
    for d in DECISIONS:
        support = sum(confusion[d].values())
        predicted = sum(confusion[g][d] for g in DECISIONS)
        correct = confusion[d][d]
        per_type[d] = TypeScore(support, predicted, correct, _ratio(correct, predicted, None),
                                _ratio(correct, support, None))
    correct = sum(confusion[d][d] for d in DECISIONS)
    return UpdateScores(confusion=confusion, n=len(gold), accuracy=_ratio(correct, len(gold), None),
                        per_type=per_type, target_accuracy=_ratio(target_ok, target_n, None),
                        missing=tuple(k for k in gold if k not in predictions))


# ---- final state: contradictions and duplicates -------------------------------------------------

@dataclass(frozen=True)
class StoredMemory:
    """A memory in the store after a conversation was processed."""

    text: str
    active: bool = True


@dataclass(frozen=True)
class StateScores:
    contradictions: int
    contradictions_resolved: int
    contradiction_resolution_rate: float | None
    stale: tuple[str, ...]          # gold SUPERSEDE keys whose old memory is still active
    duplicates: int                 # gold NONE memories
    duplicates_unseen: int          # ... whose repeat never reached the update step (not rated)
    duplicates_avoided: int
    duplicate_avoidance_rate: float | None   # avoided / (duplicates - unseen)
    duplicated: tuple[str, ...]     # gold NONE keys with more than one active copy


def score_final_state(conversations: Iterable[Conversation], stores: Mapping[str, Sequence[StoredMemory]],
                      decisions: Mapping[str, PredictedDecision], embed: Embed, *,
                      threshold: float = DEFAULT_THRESHOLD, guard: bool = True) -> StateScores:
    """Contradiction resolution and duplicate avoidance from each conversation's final store
    (``stores[conversation.id]``; a conversation without a store is skipped)."""
    conversations = [c for c in conversations if c.id in stores]
    unknown = sorted(set(stores) - {c.id for c in conversations})
    if unknown:
        raise KeyError(f"stores for conversations that are not in the dev set: {unknown[:5]}")
    vectors = embed_unique(embed, [m.text for c in conversations for m in c.memories()] +
                           [s.text for c in conversations for s in stores[c.id]])
    n_contra = resolved = n_dup = unseen = avoided = 0
    stale: list[str] = []
    duplicated: list[str] = []
    for conv in conversations:
        gold = conv.memories()
        active = [s.text for s in stores[conv.id] if s.active]
        owner = nearest([g.text for g in gold], active, vectors, threshold=threshold, guard=guard)
        copies = Counter(gold[i].id for i in owner if i is not None)
        for m in gold:
            key = memory_key(conv.id, m.id)
            pred = decisions.get(key)
            if m.decision is Decision.SUPERSEDE:
                n_contra += 1
                still_active = copies[m.target] > 0  # type: ignore[index]
                if still_active:
                    stale.append(key)
                elif (pred is not None and pred.event == Decision.SUPERSEDE.value
                      and pred.target in (None, m.target)):
                    resolved += 1
            elif m.decision is Decision.NONE:
                n_dup += 1
                if pred is None:
                    unseen += 1
                    continue
                same_fact = {m.target} | {o.id for o in gold if o.decision is Decision.NONE and o.target == m.target}
                if sum(copies[i] for i in same_fact) <= 1:
                    avoided += 1
                else:
                    duplicated.append(key)
    return StateScores(
        contradictions=n_contra, contradictions_resolved=resolved,
        contradiction_resolution_rate=_ratio(resolved, n_contra, None), stale=tuple(stale),
        duplicates=n_dup, duplicates_unseen=unseen, duplicates_avoided=avoided,
        duplicate_avoidance_rate=_ratio(avoided, n_dup - unseen, None),
        duplicated=tuple(duplicated))


# ---- answers ------------------------------------------------------------------------------------

#: A reply abstains when it contains one of these (case-insensitive, curly apostrophes folded).
#: Hedged answers ("I'm not sure, but I think it's Lyon") are answers, not abstentions.
ABSTENTION_PATTERNS: tuple[str, ...] = (
    r"\bi (?:do not|don'?t) (?:know|remember|recall)\b",
    r"\bi (?:can ?not|can'?t|couldn'?t|could not) (?:remember|recall|find|tell|say)\b",
    r"\bi (?:do not|don'?t) have (?:any |that |this |the )?(?:information|info|record|records|memory|memories|details?)\b",
    r"\bi have no (?:idea|record|records|memory|memories|information|details?|way of knowing)\b",
    r"\byou (?:have not|haven'?t|never|did not|didn'?t) (?:told|tell|mentioned|mention|said|say|shared|share)\b",
    r"\b(?:has not|hasn'?t|had not|hadn'?t|never) (?:told|mentioned|said|shared)\b",  # about someone named
    r"\bno (?:record|records|memory|memories|information|mention) (?:of|about|on|regarding)\b",
    r"\bi'?m not aware\b",
    r"\bnot something (?:you'?ve|you have) (?:told|mentioned|shared)\b",
)
_ABSTAIN_RE = re.compile("|".join(ABSTENTION_PATTERNS), re.I)
_ARTICLES = {"a", "an", "the"}


def is_abstention(reply: str) -> bool:
    return bool(_ABSTAIN_RE.search(reply.replace("’", "'").replace("‘", "'")))


def answer_tokens(text: str) -> list[str]:
    """Lower-cased tokens without accents, punctuation or articles (SQuAD normalisation)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(" " if c in string.punctuation or c in "£€$’‘“”" else c for c in text)
    return [t for t in text.split() if t not in _ARTICLES]


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    return _f1(common / len(pred), common / len(ref))


@dataclass(frozen=True)
class ProbeScore:
    key: str               # "<conversation>/<probe>"
    answerable: bool
    reply: str
    abstained: bool
    f1: float | None       # answerable probes only


@dataclass(frozen=True)
class AnswerScores:
    n_answerable: int
    answer_f1: float | None             # mean token F1 over answerable probes
    false_abstention_rate: float | None  # answerable probes whose reply abstained
    n_unanswerable: int
    abstention_rate: float | None        # unanswerable probes whose reply abstained (higher is better)
    missing: tuple[str, ...]             # probes with no reply (scored as an empty reply)
    probes: tuple[ProbeScore, ...]


def probe_key(conversation_id: str, probe_id: str) -> str:
    return f"{conversation_id}/{probe_id}"


def score_answers(conversations: Iterable[Conversation], replies: Mapping[str, str]) -> AnswerScores:
    conversations = list(conversations)
    probes = {probe_key(c.id, p.id): p for c in conversations for p in c.probes}
    unknown = sorted(set(replies) - set(probes))
    if unknown:
        raise KeyError(f"replies for probes that are not in the dev set: {unknown[:5]}")
    out = []
    for key, p in probes.items():
        reply = replies.get(key, "")
        f1 = max(token_f1(reply, g) for g in (p.answer, *p.alternatives)) if p.answerable else None  # type: ignore[arg-type]
        out.append(ProbeScore(key, p.answerable, reply, is_abstention(reply), f1))
    ans = [s for s in out if s.answerable]
    unans = [s for s in out if not s.answerable]
    return AnswerScores(
        n_answerable=len(ans), answer_f1=_ratio(sum(s.f1 or 0.0 for s in ans), len(ans), None),
        false_abstention_rate=_ratio(sum(s.abstained for s in ans), len(ans), None),
        n_unanswerable=len(unans), abstention_rate=_ratio(sum(s.abstained for s in unans), len(unans), None),
        missing=tuple(k for k in probes if k not in replies), probes=tuple(out))
