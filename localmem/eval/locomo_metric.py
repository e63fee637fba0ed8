"""LoCoMo's official QA metric (``task_eval/evaluation.py`` of snap-research/LoCoMo), and evidence recall.

- Normalisation: commas removed, lower-cased, punctuation removed, the words a / an / the / and
  removed, whitespace collapsed; tokens are Porter-stemmed (``localmem.eval.porter``, NLTK's
  variant) and compared as multisets: token F1.
- Category 1 (multi-hop): the gold answer and the prediction are split on commas; each gold part
  takes its best F1 against a predicted part; the score is their mean.
- Category 3 (open-domain): only the gold answer's part before the first ';' counts.
- Categories 2, 3, 4: plain token F1.
- Category 5 (adversarial): 1 when the prediction contains "no information available" or
  "not mentioned" (case-insensitive), else 0. A reply choosing "(a)"/"(b)" is mapped to the option's
  text first (``localmem.eval.locomo.Asked.choice``).

Evidence recall (LoCoMo: the share of a question's evidence dia_ids among the retrieved context).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from localmem.eval.porter import stem

_PUNCT = set(string.punctuation)
_DROP = re.compile(r"\b(a|an|the|and)\b")


def normalize_answer(text: str) -> str:
    text = text.replace(",", "").lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    return " ".join(_DROP.sub(" ", text).split())


def tokens(text: str) -> list[str]:
    return [stem(w) for w in normalize_answer(text).split()]


def precision_recall(prediction: str, gold: str) -> tuple[float, float]:
    """The shares of ``prediction``'s and of ``gold``'s tokens they have in common (counted with
    repeats), the two halves of ``f1_score``."""
    pred, ref = tokens(prediction), tokens(gold)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0, 0.0
    return common / len(pred), common / len(ref)


def f1_score(prediction: str, gold: str) -> float:
    precision, recall = precision_recall(prediction, gold)
    if precision == 0.0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def multi_f1(prediction: str, gold: str) -> float:
    """Category 1: the mean over gold comma-parts of the best F1 against any predicted comma-part."""
    preds = [p.strip() for p in prediction.split(",")]
    golds = [g.strip() for g in gold.split(",")]
    return sum(max(f1_score(p, g) for p in preds) for g in golds) / len(golds)


def adversarial_ok(prediction: str) -> bool:
    low = prediction.lower()
    return "no information available" in low or "not mentioned" in low


def score(category: int, prediction: str, gold: str) -> float:
    """The official per-question score of ``prediction`` for a question of ``category``."""
    if category == 1:
        return float(multi_f1(prediction, gold))
    if category == 3:
        return f1_score(prediction, gold.split(";")[0].strip())
    if category in (2, 4):
        return f1_score(prediction, gold)
    if category == 5:
        return float(adversarial_ok(prediction))
    raise ValueError(f"unknown LoCoMo category {category!r} (expected 1-5)")


def evidence_recall(evidence: Iterable[str], shown: Sequence[Sequence[str]], k: int | None = None) -> float | None:
    """The share of ``evidence`` dia_ids among the first ``k`` items shown (each item: the dia_ids it
    came from); None when the question has no evidence."""
    evidence = set(evidence)
    if not evidence:
        return None
    seen = {d for item in (shown if k is None else shown[:k]) for d in item}
    return len(evidence & seen) / len(evidence)
