"""Matching memory texts by meaning: embeddings, a few lexical conflict checks, one-to-one matching.

Two texts match when the cosine similarity of their all-MiniLM-L6-v2 embeddings reaches
``DEFAULT_THRESHOLD`` **and** ``conflict()`` finds no reason to reject the pair. The threshold and
the checks were chosen on hand-judged pairs, listed in ``bench/data/THRESHOLD.md``.

Why the checks: the embedding alone scores sentences that differ only in a value as near-identical
("User's daughter Zosia is 8 years old" vs "... 7 years old": 0.98; Mondays/Wednesdays vs
Tuesdays/Thursdays: 0.95; likes vs dislikes true crime: 0.88; "User's friend Sam loves jazz" vs
"User loves jazz": 0.83), which would score a stale value, a flipped preference or a memory pinned
on the wrong person as correct. The checks are deliberately narrow (each rejects a pair only on
clear evidence) so that paraphrases still match:

- dates: both contain ISO dates and none agree ("2023-08" agrees with "2023-08-14", not "2023-09");
- numbers: both texts contain numbers (digits, number words, ordinals, month names) and share none;
- days: both name weekdays and share none;
- names: both contain capitalised words (other than "User", weekdays, months) and share none;
- someone else: one text is about a third person ("User's friend Sam ...", "Julien keeps talking
  about ...") and the other, about the user, mentions neither that kind of person nor the name;
- polarity: one text is negative (dislikes, hates, not, never, ...) and the other states a plain
  positive sentiment (likes, loves, enjoys, is a fan of) with no negation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Cosine similarity at or above which two memory texts may match (see bench/data/THRESHOLD.md).
DEFAULT_THRESHOLD = 0.6

#: Anything that embeds a list of texts into unit-length rows, e.g. ``Embedder.default().embed``.
Embed = Callable[[Sequence[str]], np.ndarray]

_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS |= {w: str(i) for i, w in enumerate(
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
_MONTHS = {m: str(i) for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_NOT_NAMES = {"user", "i", "the", "a", "an", "in", "on", "at", "and", "for", "with"} | _WEEKDAYS | set(_MONTHS)
_FIRST_PERSON = {"i", "me", "my", "mine", "we", "u", "our"}  # "my cat is Miso" is about the user
#: Words for people in the user's life, in groups of words that may stand for one another.
_PEOPLE_GROUPS = [
    "friend mate buddy pal",
    "wife husband partner spouse girlfriend boyfriend fiance fiancee",
    "sister brother sibling",
    "son daughter child children kid twin baby",
    "mother mum mom father dad parent",
    "grandmother grandfather grandma grandpa grandparent granddaughter grandson grandchild grandchildren",
    "aunt uncle niece nephew cousin",
    "colleague coworker co-worker boss manager labmate classmate teammate",
    "neighbour neighbor roommate flatmate housemate",
    "son-in-law daughter-in-law in-law",
]
_PEOPLE = {w: i for i, group in enumerate(_PEOPLE_GROUPS) for w in group.split()}
_THIRD_PARTY_RE = re.compile(r"^User's ([A-Za-z-]+)(?:\s+([A-Z][\w-]*))?")
_NEGATIVE_RE = re.compile(r"\b(dislikes?|disliked|hates?|hated|cannot stand|not|no|never|avoids?|avoided|"
                          r"\w+n't)\b", re.I)
_POSITIVE_RE = re.compile(r"\b(likes?|liked|loves?|loved|enjoys?|enjoyed|adores?|obsessed|passionate|"
                          r"keen on|fan of)\b", re.I)


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")


def _word(w: str) -> str:
    """Lower-cased, no accents, no possessive, no plural s ("Mondays" -> "monday")."""
    w = _plain(w).lower().removesuffix("'s")
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def numbers(text: str) -> frozenset[str]:
    """Numbers in a text: digits, number words and month names ("two" -> 2, "third" -> 3,
    "2023-05-02" -> 2023, 5, 2; "November 20th" -> 11, 20)."""
    text = re.sub(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}\b)", "", text)          # 25,000 / 25 000 -> 25000
    text = re.sub(r"\b(\d+)k\b", lambda m: str(int(m.group(1)) * 1000), text, flags=re.I)  # 40k -> 40000
    found = {n if "." in n else str(int(n)) for n in re.findall(r"\d+(?:\.\d+)?", text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    for m in re.finditer(r"\b([A-Z][a-z]+)\b", text):
        month = m.group(1).lower()
        # "May" counts as a month only next to a number (not "User may ...").
        if month in _MONTHS and (month != "may" or re.search(r"\d", text[max(0, m.start() - 6):m.end() + 6])):
            found.add(_MONTHS[month])
    return frozenset(found)


def weekdays(text: str) -> frozenset[str]:
    return frozenset(w for w in map(_word, re.findall(r"[A-Za-z]+", text)) if w in _WEEKDAYS)


def names(text: str) -> frozenset[str]:
    """Capitalised words (people, places, brands), normalised with ``_word``; not "User", weekdays or months."""
    return frozenset(w for w in (_word(x) for x in re.findall(r"[A-Za-z\u00c0-\u00ff][\w'-]*", text)
                                 if x[0].isupper()) if w not in _NOT_NAMES)


def _about_someone_else(a: str, b: str) -> bool:
    """``a`` is about another person or thing and ``b`` (about the user) does not mention it."""
    m = _THIRD_PARTY_RE.match(a)
    if m and _word(m.group(1)) in _PEOPLE:
        # "User's friend Sam ...": b must mention the same kind of person (or a word for it) or the name.
        groups = {_PEOPLE[w] for w in map(_word, re.findall(r"[A-Za-z-]+", b)) if w in _PEOPLE}
        named = m.group(2) and _word(m.group(2)) in {_word(w) for w in re.findall(r"[A-Za-z-]+", b)}
        return _PEOPLE[_word(m.group(1))] not in groups and not named
    first = re.match(r"[A-Za-z][\w'-]*", a)
    if first and b.startswith("User") and _word(first.group()) not in _NOT_NAMES | _FIRST_PERSON:
        # "Julien keeps talking about ...": a sentence about someone else, unless b names them too.
        return _word(first.group()) not in {_word(w) for w in re.findall(r"[A-Za-z][\w'-]*", b)}
    return False


def conflict(a: str, b: str) -> str | None:
    """Why two similar texts must not be matched, or None when nothing clearly tells them apart."""
    a, b = _plain(a), _plain(b)
    ia, ib = set(re.findall(r"\b\d{4}-\d{2}(?:-\d{2})?\b", a)), set(re.findall(r"\b\d{4}-\d{2}(?:-\d{2})?\b", b))
    if ia and ib and not any(x.startswith(y) or y.startswith(x) for x in ia for y in ib):
        return "dates differ"
    na, nb = numbers(a), numbers(b)
    if na and nb and not na & nb:
        return "numbers differ"
    da, db = weekdays(a), weekdays(b)
    if da and db and not da & db:
        return "days differ"
    ca, cb = names(a), names(b)
    if ca and cb and not ca & cb:
        return "names differ"
    if _about_someone_else(a, b) or _about_someone_else(b, a):
        return "about someone else"
    neg_a, neg_b = bool(_NEGATIVE_RE.search(a)), bool(_NEGATIVE_RE.search(b))
    if neg_a != neg_b and _POSITIVE_RE.search(b if neg_a else a):
        return "opposite polarity"
    return None


def embed_unique(embed: Embed, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Embed each distinct text once; returns text -> unit vector."""
    unique = list(dict.fromkeys(texts))
    if not unique:
        return {}
    vectors = np.asarray(embed(unique), dtype=np.float32)
    if vectors.shape[0] != len(unique):
        raise ValueError(f"embed() returned {vectors.shape[0]} vectors for {len(unique)} texts")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return dict(zip(unique, vectors / np.clip(norms, 1e-12, None)))


@dataclass(frozen=True)
class Match:
    gold: int          # index into the gold list
    pred: int          # index into the predicted list
    similarity: float


def similarity(vectors: dict[str, np.ndarray], a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Cosine similarities, shape ``(len(a), len(b))``."""
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    return np.stack([vectors[t] for t in a]) @ np.stack([vectors[t] for t in b]).T


def match_one_to_one(gold: Sequence[str], pred: Sequence[str], vectors: dict[str, np.ndarray], *,
                     threshold: float = DEFAULT_THRESHOLD, guard: bool = True) -> list[Match]:
    """Greedy one-to-one matching: the most similar admissible pair first, each text used once.

    A pair is admissible when its similarity is at least ``threshold`` and (with ``guard``)
    ``conflict()`` finds nothing against it. Ties go to the earlier gold, then the earlier prediction.
    """
    sims = similarity(vectors, gold, pred)
    pairs = sorted(((float(sims[g, p]), g, p) for g in range(len(gold)) for p in range(len(pred))
                    if sims[g, p] >= threshold), key=lambda x: (-x[0], x[1], x[2]))
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for s, g, p in pairs:
        if g in used_g or p in used_p:
            continue
        if guard and conflict(gold[g], pred[p]) is not None:
            continue
        used_g.add(g)
        used_p.add(p)
        out.append(Match(g, p, s))
    return sorted(out, key=lambda m: (m.gold, m.pred))


def nearest(gold: Sequence[str], texts: Sequence[str], vectors: dict[str, np.ndarray], *,
            threshold: float = DEFAULT_THRESHOLD, guard: bool = True) -> list[int | None]:
    """For each text, the index of the most similar admissible gold text (many-to-one), or None."""
    sims = similarity(vectors, gold, texts)
    out: list[int | None] = []
    for j, text in enumerate(texts):
        best: int | None = None
        for g in np.argsort(-sims[:, j], kind="stable") if len(gold) else []:
            if sims[g, j] < threshold:
                break
            if not guard or conflict(gold[g], text) is None:
                best = int(g)
                break
        out.append(best)
    return out
