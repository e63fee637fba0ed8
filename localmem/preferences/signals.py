"""Per-turn preference signals p_t from what the user writes: fast, lexical, no model on the hot path.

Three sources:

- ``from_message(text)``: the user's own message. Explicit requests ("shorter please", "explain it
  like I'm five", "be more formal", "as a bullet list") give strong observations (weight 1) on
  their dimension; a follow-up asking for more ("tell me more", "can you elaborate") counts as an
  explicit request for length. The message's register gives weaker ones: formality, tone and
  emotion from marker words (slang, emoji, "Could you kindly", "thanks!", "I'm so worried"),
  technical depth from jargon and code-like tokens, and a very weak length hint from how long the
  message itself is.
- ``from_edit(original, edited, current)``: the user edited the assistant's reply. A shorter edit is
  evidence for a shorter preferred length than the one the reply was written for (log-ratio of
  word counts around the current fused length); a change of register moves formality.
- ``from_comment(text)``: a remark about the last reply ("too long", "too technical"), read like
  a message, with the implicit style parts left out.

Measured accuracy on the held-out labelled set is in BENCHMARKS.md (``bench/bench_pamu.py``).
"""

from __future__ import annotations

import math
import re

from localmem.preferences.types import CATEGORICAL, Observation, PreferenceSignal

LOW, HIGH = 0.1, 0.9
EXPLICIT = 1.0


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


# (dimension, value, pattern): checked in order; the first match per dimension wins, so negated
# forms ("don't be so formal") come before the plain ones.
EXPLICIT_RULES: list[tuple[str, float, re.Pattern[str]]] = [
    ("length", HIGH, _rx(r"\btoo (short|brief|terse)\b", r"\bnot (so|that|too) (short|brief)\b",
                         r"\b(don'?t|do not) be (so )?(brief|short|terse)\b")),
    ("length", LOW, _rx(
        r"\bshorter\b", r"\b(more )?concise(ly)?\b", r"\bbrief(ly)?\b", r"\bkeep it (short|brief|simple)\b",
        r"\bin (one|a|two|1|2|a single|a few) (short )?(sentence|line|word|paragraph)s?\b", r"\btl;? ?dr\b",
        r"\btoo (long|verbose|wordy|much text)\b", r"\bless (detail|verbose|wordy|text)\b", r"\bjust the (answer|gist|number|facts)\b",
        r"\bshort (answer|version|reply)\b", r"\b(quick|short) (answer|summary|version)\b", r"\bget to the point\b",
        r"\b(no need to|don'?t) (explain|elaborate)\b", r"\bskip the (details|explanation)\b", r"\bsum(marise|marize| it) up\b",
        r"\bsummary\b", r"\bone-liner\b", r"\byes or no\b", r"\bshort and sweet\b", r"\breal(ly)? quick\b")),
    ("length", HIGH, _rx(
        r"\bmore (detail|details|depth|info|information)\b", r"\bin (great |more |full )?detail\b", r"\bdetailed\b",
        r"\belaborate\b", r"\bexpand on\b", r"\bexplain (more|further|in depth|thoroughly|everything)\b",
        r"\btell me more\b", r"\bgo deeper\b", r"\blonger\b", r"\bthorough(ly)?\b", r"\bcomprehensive\b",
        r"\bin[- ]depth\b", r"\bwalk me through\b", r"\bfull explanation\b", r"\bmore about\b",
        r"\bwhat do you mean\b", r"\bcan you explain (that|this|it)\b", r"\bdon'?t (leave|skip) (anything|any detail)\b")),
    ("formality", LOW, _rx(r"\b(don'?t|do not|no need to|stop) (be(ing)? )?(so |that |too )?(formal|stiff|polite)\b",
                           r"\btoo (formal|stiff)\b", r"\bless formal\b", r"\bnot so formal\b")),
    ("formality", HIGH, _rx(r"\bbe (more )?(formal|professional)\b", r"\bformal (tone|language|register|style)\b",
                            r"\bprofessional (tone|language|style)\b", r"\btoo (casual|informal|chatty)\b",
                            r"\bmore (formal|professional)(ly)?\b", r"\bin a formal\b")),
    ("formality", LOW, _rx(r"\bbe (more )?(casual|chill|relaxed|informal)\b", r"\b(casual|relaxed|informal|chill) (tone|style|language)\b",
                           r"\b(more )?casual(ly)?\b", r"\blike a friend\b", r"\bkeep it (casual|chill|light)\b")),
    ("depth", HIGH, _rx(r"\btoo (simple|basic|shallow|dumbed[- ]down)\b", r"\bnot (so|that|too) (simple|basic)\b",
                        r"\b(don'?t|do not) (dumb|water) (it )?down\b")),
    ("depth", LOW, _rx(
        r"\beli5\b", r"\blike i'?m (five|5|a kid|a child|ten|10)\b", r"\bsimple (terms|words|language|english)\b",
        r"\bin plain (english|language|words|terms)\b", r"\bnon-?technical\b", r"\bno jargon\b", r"\bwithout (the )?jargon\b",
        r"\blayman'?s?\b", r"\bfor a (beginner|newbie|child|kid)\b", r"\bdumb it down\b", r"\bi'?m not (very )?technical\b",
        r"\btoo (technical|complicated|complex|jargony)\b", r"\bsimpler\b", r"\bsimply\b", r"\beasy to understand\b")),
    ("depth", HIGH, _rx(
        r"\btechnical (details?|terms|depth|explanation)\b", r"\bunder the hood\b", r"\bwith (the )?(math|maths|equations|proofs?)\b",
        r"\brigorous(ly)?\b", r"\bi'?m an? (expert|engineer|developer|physicist|researcher|professional)\b", r"\binternals\b",
        r"\b(show|give) (me )?the (code|math|derivation|source)\b", r"\bwith (code|examples in code)\b", r"\blow[- ]level\b",
        r"\b(more|very) technical\b", r"\bgo technical\b", r"\bdon'?t simplify\b", r"\bprecise(ly)?\b",
        r"\bexpert level\b", r"\bcite (the )?(spec|paper|source)s?\b")),
    ("structure", LOW, _rx(r"\bno (bullet|bullets|lists?|bullet points|headings|formatting)\b", r"\bin prose\b",
                           r"\b(as|in) (a )?(paragraph|prose|plain text)\b", r"\bfull sentences\b",
                           r"\b(don'?t|do not|stop) (use|using) (bullet|lists?|bullets)\b")),
    ("structure", HIGH, _rx(r"\bbullet(s| points?)?\b", r"\b(as|in) a (list|table|checklist)\b", r"\bnumbered( list)?\b",
                            r"\bstep[- ]by[- ]step\b", r"\b(list|table) (of|with|format)\b", r"\boutline\b",
                            r"\bin steps\b", r"\blist (them|the|all)\b", r"\btable\b")),
]

_WORD = re.compile(r"[A-Za-z']+")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
CASUAL = re.compile(r"\b(lol|lmao|haha+|hehe|gonna|wanna|gotta|kinda|sorta|u|ur|thx|pls|plz|hey|yo|dude|bro|btw|idk|"
                    r"omg|nah|yeah|yep|yup|cool|awesome|ya|lemme|gimme|tho|cuz|ok|okay|k|sup|ugh|meh|wtf|damn|hmm+|"
                    r"stuff|super|totally|guys|buddy)\b", re.IGNORECASE)
FORMAL = re.compile(r"\b(could you|would you|kindly|dear|furthermore|moreover|regarding|concerning|i would like|"
                    r"i would appreciate|thank you|please advise|sincerely|therefore|however|nevertheless|"
                    r"accordingly|hereby|pursuant|respectfully|grateful|i am writing|may i|shall|whom|"
                    r"in addition|consequently|appreciate it if|be so kind|assistance|much appreciated)\b", re.IGNORECASE)
FRIENDLY = re.compile(r"\b(thanks|thank you|thx|appreciate|love|awesome|great|amazing|hi|hello|hey|"
                      r"cheers|you're the best|wonderful|nice|glad)\b|:\)|:-\)|:D|<3", re.IGNORECASE)
CONTRACTION = re.compile(r"\b\w+'(s|re|ll|ve|d|m|t)\b|\b(dont|cant|wont|im|ive|thats|whats|isnt)\b", re.IGNORECASE)
TECHNICAL = re.compile(
    r"\b(algorithm|api|latency|throughput|compile[rd]?|kernel|regression|gradient|derivative|integral|eigen\w*|"
    r"matrix|vector|tensor|hash|database|sql|index|query|thread|mutex|async|concurrency|cache|protocol|tcp|http|"
    r"dns|tls|encryption|complexity|o\(n|recursion|pointer|heap|stack|runtime|compiler|bytecode|schema|"
    r"quantiz\w*|embedding|transformer|backprop\w*|covariance|variance|bayesian|posterior|likelihood|"
    r"stochastic|polynomial|asymptotic|amortized|isomorphi\w*|topology|manifold|lemma|theorem|proof|"
    r"enzyme|genome|protein|molecule|quantum|entropy|thermodynamic\w*|differential|fourier|laplace|"
    r"code|benchmark|regex|docker|kubernetes|git|python|rust|javascript|c\+\+|linux|syscall|mmap|simd|gpu|cpu)\b",
    re.IGNORECASE)
CODE = re.compile(r"`[^`]+`|\w+\(\)|::|->|=>|\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z]\w+\b|[{}\[\];]")
EMOTIONS: dict[str, re.Pattern[str]] = {
    "joy": re.compile(r"\b(thanks so much|really helpful|so helpful|happy|glad|excited|thrilled|delighted|love|loving|yay|great news|awesome|amazing|"
                      r"wonderful|fantastic|can'?t wait|so good|proud|celebrat\w*|finally got|nailed it|woo+|"
                      r"hooray|ecstatic|joy|grateful|best day)\b|:\)|:D|😀|😃|😄|🎉|😊|❤️", re.IGNORECASE),
    "sadness": re.compile(r"\b(sad|unhappy|depressed|down|lonely|miss(ing)? (him|her|them|my)|lost (my|our)|"
                          r"passed away|died|grief|grieving|heartbroken|cry(ing)?|cried|tears|hopeless|"
                          r"disappointed|miserable|gloomy|upset|hurts?|broke up|breakup|feel(ing)? low)\b|:\(|😢|😭|😞",
                          re.IGNORECASE),
    "anger": re.compile(r"\b(angry|mad|furious|annoyed|annoying|irritated|pissed|fed up|sick of|hate|hating|"
                        r"ridiculous|unacceptable|useless|stupid|wtf|outraged|frustrat\w*|infuriating|"
                        r"rage|livid|damn it|what the hell|worst)\b|😠|😡|🤬", re.IGNORECASE),
    "fear": re.compile(r"\b(scared|afraid|worried|worry|worrying|anxious|anxiety|nervous|panic\w*|terrified|"
                       r"frightened|fear|dread\w*|uneasy|stressed( out)?|freaking out|what if|concerned)\b|😨|😰|😱",
                       re.IGNORECASE),
}

IMPLICIT_FORMALITY_MAX = 0.5
TONE_WEIGHT, NEUTRAL_TONE_WEIGHT = 0.6, 0.3
EMOTION_WEIGHT, NEUTRAL_EMOTION_WEIGHT = 0.8, 0.3
LENGTH_HINT_WEIGHT = 0.1
DEPTH_HINT_WEIGHT = 0.3


def _explicit(text: str) -> dict[str, Observation]:
    out: dict[str, Observation] = {}
    for dim, value, pattern in EXPLICIT_RULES:
        if dim in out:
            continue
        m = pattern.search(text)
        if m:
            out[dim] = Observation(value=value, weight=EXPLICIT, evidence=f"asked: {m.group(0)!r}")
    return out


def register(text: str) -> dict[str, int]:
    """Counts of marker kinds in ``text`` (casual, formal, friendly, contractions, emoji, ...)."""
    words = _WORD.findall(text)
    stripped = text.strip()
    return {
        "words": len(words),
        "casual": len(CASUAL.findall(text)) + len(_EMOJI.findall(text)) + text.count("!!") + text.count("??"),
        "lowercase_start": int(bool(stripped) and stripped[0].islower()),
        "formal": len(FORMAL.findall(text)),
        "friendly": len(FRIENDLY.findall(text)) + int("!" in text and "!!" not in text),
        "contractions": len(CONTRACTION.findall(text)),
        "technical": len(TECHNICAL.findall(text)) + len(CODE.findall(text)),
    }


def _formality(reg: dict[str, int]) -> float | None:
    """Implicit formality in [0, 1] from register markers; None when there is no evidence either way."""
    casual = reg["casual"] + 0.5 * (reg["contractions"] + reg["lowercase_start"])
    formal = reg["formal"]
    if casual == 0 and formal == 0:
        return None
    return 1.0 / (1.0 + math.exp(-1.5 * (formal - casual)))


def _distribution(labels: tuple[str, ...], scores: dict[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    return {label: scores.get(label, 0.0) / total for label in labels}


def _tone(reg: dict[str, int]) -> tuple[dict[str, float], float]:
    scores = {"neutral": 1.0, "friendly": 1.2 * reg["friendly"], "formal": 1.5 * reg["formal"],
              "casual": 1.2 * reg["casual"] + 0.3 * (reg["contractions"] + reg["lowercase_start"])}
    marked = scores["friendly"] + scores["formal"] + scores["casual"] > 0
    return _distribution(CATEGORICAL["tone"], scores), TONE_WEIGHT if marked else NEUTRAL_TONE_WEIGHT


def _emotion(text: str) -> tuple[dict[str, float], float]:
    scores = {"neutral": 0.5}
    for label, pattern in EMOTIONS.items():
        scores[label] = 1.5 * len(pattern.findall(text))
    marked = any(scores[k] > 0 for k in EMOTIONS)
    if not marked:
        scores["neutral"] = 1.0
    return _distribution(CATEGORICAL["emotion"], scores), EMOTION_WEIGHT if marked else NEUTRAL_EMOTION_WEIGHT


def from_message(text: str) -> PreferenceSignal:
    """The signal of one user message (explicit requests, then the message's own register)."""
    obs = _explicit(text)
    reg = register(text)
    formality = _formality(reg)
    if "formality" not in obs and formality is not None:
        strength = min(IMPLICIT_FORMALITY_MAX, 0.3 * (reg["casual"] + reg["formal"])
                       + 0.1 * (reg["contractions"] + reg["lowercase_start"]))
        obs["formality"] = Observation(value=round(0.1 + 0.8 * formality, 4), weight=round(strength, 4),
                                       evidence=f"register: {reg['formal']} formal / {reg['casual']} casual markers")
    if "depth" not in obs and reg["technical"] >= 2:
        obs["depth"] = Observation(value=0.75, weight=DEPTH_HINT_WEIGHT,
                                   evidence=f"{reg['technical']} technical terms or code tokens")
    if "length" not in obs and (reg["words"] <= 4 or reg["words"] >= 60):
        obs["length"] = Observation(value=0.35 if reg["words"] <= 4 else 0.65, weight=LENGTH_HINT_WEIGHT,
                                    evidence=f"message of {reg['words']} words")
    tone, weight = _tone(reg)
    obs["tone"] = Observation(value=tone, weight=weight, evidence="register markers")
    emotion, weight = _emotion(text)
    obs["emotion"] = Observation(value=emotion, weight=weight, evidence="emotion words")
    return PreferenceSignal(observations=obs)


def from_comment(text: str) -> PreferenceSignal:
    """The signal of a remark about the last reply: explicit requests and emotion only."""
    obs = _explicit(text)
    emotion, weight = _emotion(text)
    if weight == EMOTION_WEIGHT:
        obs["emotion"] = Observation(value=emotion, weight=weight, evidence="emotion words in feedback")
    return PreferenceSignal(observations=obs)


def from_edit(original: str, edited: str, *, length: float, formality: float) -> PreferenceSignal:
    """The signal of an edit of a reply written for fused ``length`` and ``formality``."""
    before, after = len(_WORD.findall(original)) or 1, len(_WORD.findall(edited)) or 1
    obs: dict[str, Observation] = {}
    ratio = after / before
    if abs(math.log2(ratio)) >= 0.25:  # at least ~19% longer or shorter
        value = min(1.0, max(0.0, length + 0.2 * math.log2(ratio)))
        obs["length"] = Observation(value=round(value, 4), weight=EXPLICIT,
                                    evidence=f"edited reply from {before} to {after} words")
    f_before, f_after = _formality(register(original)), _formality(register(edited))
    if f_before is not None or f_after is not None:
        shift = (f_after if f_after is not None else 0.5) - (f_before if f_before is not None else 0.5)
        if abs(shift) >= 0.15:
            value = min(1.0, max(0.0, formality + 0.5 * shift))
            obs["formality"] = Observation(value=round(value, 4), weight=0.7,
                                           evidence=f"edit changed the register ({shift:+.2f})")
    return PreferenceSignal(observations=obs)
