"""Relative dates resolved in code (localmem.dates): what the extraction prompt shows the model and
what the synthetic generator writes into its gold labels must be the same date."""

from __future__ import annotations

from datetime import date

import pytest

from localmem.adapters.synth.draft import FUTURE_PHRASES, PAST_PHRASES
from localmem.dates import DatesInWords, annotate_relative_dates, dates_in_words, resolve_relative_date

MONDAY = date(2023, 5, 8)


@pytest.mark.parametrize("phrase, expected", [
    ("yesterday", "2023-05-07"),
    ("the day before yesterday", "2023-05-06"),
    ("tomorrow", "2023-05-09"),
    ("the day after tomorrow", "2023-05-10"),
    ("day after tomorrow", "2023-05-10"),
    ("last Tuesday", "2023-05-02"),
    ("next monday", "2023-05-15"),
    ("this Friday", "2023-05-12"),
    ("3 weeks ago", "2023-04-17"),
    ("a couple of months ago", "2023-03"),
    ("last month", "2023-04"),
    ("next year", "2024"),
    ("last weekend", "2023-05-06"),
    ("this morning", "2023-05-08"),
])
def test_resolves_relative_expressions(phrase: str, expected: str) -> None:
    assert resolve_relative_date(phrase, MONDAY) == expected
    assert annotate_relative_dates(f"it was {phrase}!", MONDAY) == f"it was {phrase} ({expected})!"


@pytest.mark.parametrize("text", ["on Sunday", "a while back", "in May", "the day after the party"])
def test_leaves_what_is_not_a_relative_date_alone(text: str) -> None:
    assert resolve_relative_date(text, MONDAY) is None
    assert annotate_relative_dates(text, MONDAY) == text


def test_annotates_each_expression_once_and_is_idempotent() -> None:
    text = "yesterday I booked the trip for the day after tomorrow"
    once = annotate_relative_dates(text, MONDAY)
    assert once == "yesterday (2023-05-07) I booked the trip for the day after tomorrow (2023-05-10)"
    assert annotate_relative_dates(once, MONDAY) == once


@pytest.mark.parametrize("phrase", PAST_PHRASES + FUTURE_PHRASES)
def test_every_phrase_of_the_synthetic_generator_resolves_as_the_prompt_shows_it(phrase: str) -> None:
    """Generators 1 and 2 labelled "the day after tomorrow" with the day it was said, because the
    resolver only knew the phrase without its article, while the prompt showed the right date."""
    for day in (MONDAY, date(2024, 2, 29), date(2022, 12, 31)):
        resolved = resolve_relative_date(phrase, day)
        assert resolved is not None
        assert f"{phrase} ({resolved})" in annotate_relative_dates(f"so {phrase}, yes", day)


@pytest.mark.parametrize("text, expected", [
    ("You went on 2023-05-07.", "You went on 7 May 2023."),
    ("Since 2023-05 you run.", "Since May 2023 you run."),
    ("(2024-12-31)", "(31 December 2024)"),
    ("Between 2019-2021 and call 555-1234", "Between 2019-2021 and call 555-1234"),  # not dates
    ("2023-02-30 and 2023-13-01", "2023-02-30 and 2023-13-01"),  # impossible: left as written
    ("id 12023-05-07 or 2023-05-07x", "id 12023-05-07 or 2023-05-07x"),  # part of a longer token
    ("at 10:30, 2 kids", "at 10:30, 2 kids"),
])
def test_dates_in_words(text, expected):
    assert dates_in_words(text) == expected


@pytest.mark.parametrize("text", [
    "You went on 2023-05-07.", "On 2023-05-07 and 2023-06, 12 people", "2023-05-07", "ends 2023-0",
    "Born 1990-01-02; moved 2015-09.", "code 2023-05-071 here", "no dates at all, just 42",
])
def test_dates_in_words_streamed_in_any_pieces(text):
    """However the model's tokens cut the text, the stream reads exactly as the whole text rewritten."""
    expected = dates_in_words(text)
    for size in range(1, 6):
        words = DatesInWords()
        out = [words.feed(text[i:i + size]) for i in range(0, len(text), size)]
        assert "".join(out) + words.flush() == expected
    for cut in range(len(text) + 1):
        words = DatesInWords()
        assert words.feed(text[:cut]) + words.feed(text[cut:]) + words.flush() == expected
