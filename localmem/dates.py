"""Relative dates resolved in code, not by the model.

Small models are poor at calendar arithmetic, so before extraction every relative expression in
a message ("yesterday", "last Tuesday", "3 weeks ago", "next month") is annotated with the absolute
date it means against the message's timestamp: "last Tuesday" said on 2023-05-08 becomes
"last Tuesday (2023-05-02)". The model then only has to copy the date.

Conventions: "last <weekday>" is the most recent such day strictly before today; "next <weekday>"
the first one strictly after; "this <weekday>" the one in the current Monday-based week. A bare
"on Sunday" is ambiguous (past or coming?) and left alone. Week,
month and year expressions resolve to their first day ("last month" on 2023-05-08 is 2023-04-01),
written as YYYY-MM-DD, YYYY-MM or YYYY as precise as the phrase is.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3}
_NUM = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)"
_WD = "|".join(WEEKDAYS)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _number(word: str) -> int:
    word = word.lower().removeprefix("a ").strip() if word.lower() not in NUMBERS else word.lower()
    return int(word) if word.isdigit() else NUMBERS.get(word, NUMBERS.get(word.lower(), 1))


def _weekday(today: date, name: str, which: str) -> date:
    target = WEEKDAYS.index(name.lower())
    if which == "last":
        return today - timedelta(days=(today.weekday() - target - 1) % 7 + 1)
    if which == "next":
        return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
    return today + timedelta(days=target - today.weekday())  # this <weekday>: the current week


def _ago(today: date, n: int, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return (today - timedelta(days=n)).isoformat()
    if unit == "week":
        return (today - timedelta(weeks=n)).isoformat()
    if unit == "month":
        return _months_back(today, n).strftime("%Y-%m")
    return str(today.year - n)


def _rules(today: date) -> list[tuple[re.Pattern[str], object]]:
    monday = today - timedelta(days=today.weekday())
    return [
        (re.compile(r"\bthe day before yesterday\b", re.I), lambda m: (today - timedelta(days=2)).isoformat()),
        (re.compile(r"\b(?:the )?day after tomorrow\b", re.I), lambda m: (today + timedelta(days=2)).isoformat()),
        (re.compile(r"\byesterday\b", re.I), lambda m: (today - timedelta(days=1)).isoformat()),
        (re.compile(r"\btoday\b|\btonight\b|\bthis morning\b|\bthis evening\b", re.I), lambda m: today.isoformat()),
        (re.compile(r"\btomorrow\b", re.I), lambda m: (today + timedelta(days=1)).isoformat()),
        (re.compile(rf"\b(last|next|this) ({_WD})\b", re.I),
         lambda m: _weekday(today, m.group(2), m.group(1).lower()).isoformat()),
        (re.compile(rf"\b{_NUM} (days?|weeks?|months?|years?) ago\b", re.I),
         lambda m: _ago(today, _number(m.group(1)), m.group(2))),
        (re.compile(r"\blast week(end)?\b", re.I),
         lambda m: (monday - timedelta(days=7 if not m.group(1) else 2)).isoformat()),
        (re.compile(r"\bnext week(end)?\b", re.I),
         lambda m: (monday + timedelta(days=7 if not m.group(1) else 12)).isoformat()),
        (re.compile(r"\bthis weekend\b", re.I), lambda m: (monday + timedelta(days=5)).isoformat()),
        (re.compile(r"\blast month\b", re.I), lambda m: _months_back(today, 1).strftime("%Y-%m")),
        (re.compile(r"\bnext month\b", re.I), lambda m: _months_back(today, -1).strftime("%Y-%m")),
        (re.compile(r"\bthis month\b", re.I), lambda m: today.strftime("%Y-%m")),
        (re.compile(r"\blast year\b", re.I), lambda m: str(today.year - 1)),
        (re.compile(r"\bnext year\b", re.I), lambda m: str(today.year + 1)),
        (re.compile(r"\bthis year\b", re.I), lambda m: str(today.year)),
    ]


def annotate_relative_dates(text: str, today: date) -> str:
    """Append the absolute date after each relative date expression: "yesterday (2023-05-07)"."""
    spans: list[tuple[int, int, str]] = []
    for pattern, resolve in _rules(today):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e, _ in spans):
                continue  # already covered by a longer, earlier rule
            spans.append((m.start(), m.end(), resolve(m)))  # type: ignore[operator]
    out, last = [], 0
    for start, end, value in sorted(spans):
        if text[end:end + len(value) + 2] == f" ({value}":
            continue  # already annotated
        out.append(text[last:end])
        out.append(f" ({value})")
        last = end
    out.append(text[last:])
    return "".join(out)


def resolve_relative_date(phrase: str, today: date) -> str | None:
    """The absolute date of one relative expression, or None if it is not one."""
    for pattern, resolve in _rules(today):
        m = pattern.fullmatch(phrase.strip())
        if m:
            return resolve(m)  # type: ignore[operator]
    return None


# --- dates in replies -------------------------------------------------------------------------------
# Memories keep dates as YYYY-MM-DD (sortable, unambiguous for the model to copy), and the answer
# model copies them into its reply as they are. A person reads "7 May 2023" more easily than
# "2023-05-07", so replies are rewritten on the way out, chunk by chunk as they stream.

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_ISO_DATE = re.compile(r"(?<![\w-])((?:19|20)\d\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?(?![\w-])")
#: The tail of a stream that may still grow into a date: held back until the next chunk decides.
_DATE_PREFIX = re.compile(r"(?<![\w-])\d[\d-]{0,9}$")


def _in_words(m: re.Match[str]) -> str:
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    if day is None:
        return f"{_MONTHS[month - 1]} {year}"
    try:
        date(year, month, int(day))
    except ValueError:  # 2023-02-30: not a date, leave it as written
        return m.group(0)
    return f"{int(day)} {_MONTHS[month - 1]} {year}"


def dates_in_words(text: str) -> str:
    """ISO dates written out: "2023-05-07" -> "7 May 2023", "2023-05" -> "May 2023". Other numbers
    (times, ranges such as "2019-2021", phone numbers, ids) are left alone."""
    return _ISO_DATE.sub(_in_words, text)


class DatesInWords:
    """``dates_in_words`` over a stream: ``feed`` each chunk and emit what it returns, then emit
    ``flush()`` at the end. A tail that could still become a date ("on 2023-0") is held back until
    the next chunk shows what it is, so the concatenated output equals ``dates_in_words(whole)``."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, chunk: str) -> str:
        text = self._held + chunk
        tail = _DATE_PREFIX.search(text)
        cut = tail.start() if tail else len(text)
        self._held = text[cut:]
        return dates_in_words(text[:cut])

    def flush(self) -> str:
        held, self._held = self._held, ""
        return dates_in_words(held)
