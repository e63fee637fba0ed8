"""The Porter stemmer (M. F. Porter, 1980) in NLTK's default variant, as LoCoMo's QA metric uses it.

LoCoMo scores answers with ``nltk.stem.PorterStemmer()``, whose default mode adds a few extensions
to the published algorithm: a small table of irregular forms, words of one or two letters left
alone, "ies"/"ied" on four-letter words kept as "ie", "y" -> "i" only after a consonant, "bli" ->
"ble" (instead of "abli" -> "able"), "alli" handled first, and "fulli" / "logi" rules in step 2.
This is an independent implementation of that variant (no dependency on NLTK); the tests check it
against hand-computed stems and, where NLTK happens to be installed, against NLTK on a vocabulary.

Rules are tried in order and the first whose suffix matches decides: its condition holds and the
suffix is replaced, or the word is left as it is (later rules are not tried).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

Rule = tuple[str, str, Callable[[str], bool] | None]

_IRREGULAR = {
    "skies": "sky", "sky": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
    "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing",
    "cannings": "canning", "canning": "canning", "howe": "howe", "proceed": "proceed",
    "exceed": "exceed", "succeed": "succeed",
}
_VOWELS = frozenset("aeiou")


def _consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _consonant(word, i - 1)
    return True


def measure(stem: str) -> int:
    """m in [C](VC)^m[V]: how many vowel-consonant sequences the stem has."""
    pattern = "".join("c" if _consonant(stem, i) else "v" for i in range(len(stem)))
    return pattern.count("vc")


def _m_gt0(stem: str) -> bool:
    return measure(stem) > 0


def _m_gt1(stem: str) -> bool:
    return measure(stem) > 1


def _has_vowel(stem: str) -> bool:
    return any(not _consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    """*o: ends consonant-vowel-consonant, the last not w, x or y (NLTK: also a two-letter vowel-consonant word)."""
    if len(word) >= 3:
        return (_consonant(word, len(word) - 3) and not _consonant(word, len(word) - 2)
                and _consonant(word, len(word) - 1) and word[-1] not in "wxy")
    return len(word) == 2 and not _consonant(word, 0) and _consonant(word, 1)


def _apply(word: str, rules: list[Rule]) -> str:
    for suffix, replacement, condition in rules:
        if suffix == "*d":
            if _double_consonant(word):
                stem = word[:-2]
                return stem + replacement if condition is None or condition(stem) else word
            continue
        if word.endswith(suffix):
            stem = word[: len(word) - len(suffix)]
            return stem + replacement if condition is None or condition(stem) else word
    return word


def _step1a(word: str) -> str:
    if word.endswith("ies") and len(word) == 4:
        return word[:-3] + "ie"
    return _apply(word, [("sses", "ss", None), ("ies", "i", None), ("ss", "ss", None), ("s", "", None)])


def _step1b(word: str) -> str:
    if word.endswith("ied"):
        return word[:-3] + ("ie" if len(word) == 4 else "i")
    if word.endswith("eed"):
        stem = word[:-3]
        return stem + "ee" if measure(stem) > 0 else word
    for suffix in ("ed", "ing"):
        if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
            stem = word[: -len(suffix)]
            break
    else:
        return word
    last = stem[-1]
    return _apply(stem, [
        ("at", "ate", None), ("bl", "ble", None), ("iz", "ize", None),
        ("*d", last, lambda s: last not in "lsz"),
        ("", "e", lambda s: measure(s) == 1 and _cvc(s)),
    ])


def _step1c(word: str) -> str:
    return _apply(word, [("y", "i", lambda s: len(s) > 1 and _consonant(s, len(s) - 1))])


def _step2(word: str) -> str:
    if word.endswith("alli") and _m_gt0(word[:-4]):
        return _step2(word[:-4] + "al")
    rules: list[Rule] = [
        ("ational", "ate", _m_gt0), ("tional", "tion", _m_gt0), ("enci", "ence", _m_gt0),
        ("anci", "ance", _m_gt0), ("izer", "ize", _m_gt0), ("bli", "ble", _m_gt0), ("alli", "al", _m_gt0),
        ("entli", "ent", _m_gt0), ("eli", "e", _m_gt0), ("ousli", "ous", _m_gt0), ("ization", "ize", _m_gt0),
        ("ation", "ate", _m_gt0), ("ator", "ate", _m_gt0), ("alism", "al", _m_gt0), ("iveness", "ive", _m_gt0),
        ("fulness", "ful", _m_gt0), ("ousness", "ous", _m_gt0), ("aliti", "al", _m_gt0),
        ("iviti", "ive", _m_gt0), ("biliti", "ble", _m_gt0), ("fulli", "ful", _m_gt0),
        ("logi", "log", lambda s: _m_gt0(word[:-3])),  # the "l" counts with the stem: geo-logi, theo-logi
    ]
    return _apply(word, rules)


def _step3(word: str) -> str:
    return _apply(word, [("icate", "ic", _m_gt0), ("ative", "", _m_gt0), ("alize", "al", _m_gt0),
                         ("iciti", "ic", _m_gt0), ("ical", "ic", _m_gt0), ("ful", "", _m_gt0), ("ness", "", _m_gt0)])


def _step4(word: str) -> str:
    rules: list[Rule] = [(s, "", _m_gt1) for s in ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement",
                                                   "ment", "ent")]
    rules.append(("ion", "", lambda s: _m_gt1(s) and s[-1] in "st"))
    rules += [(s, "", _m_gt1) for s in ("ou", "ism", "ate", "iti", "ous", "ive", "ize")]
    return _apply(word, rules)


def _step5a(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        m = measure(stem)
        if m > 1 or (m == 1 and not _cvc(stem)):
            return stem
    return word


def _step5b(word: str) -> str:
    return _apply(word, [("ll", "l", lambda s: measure(word[:-1]) > 1)])


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one word (lower-cased first), as ``nltk.stem.PorterStemmer().stem(word)``."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 2:
        return w
    for step in (_step1a, _step1b, _step1c, _step2, _step3, _step4, _step5a, _step5b):
        w = step(w)
    return w
