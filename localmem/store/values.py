"""Checking and converting values on their way into the store: text, ids, times, JSON, hashes.

Every public entry point runs its arguments through these functions, so that bad input fails with
an ``InvalidInputError`` naming the argument before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
import unicodedata
from datetime import datetime, timezone
from typing import Any

from localmem.store.errors import InvalidInputError
from localmem.types import MAX_ID_CHARS, to_utc

_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_METADATA_BYTES = 64_000


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A new ULID: 48 bits of milliseconds since the epoch, then 80 random bits, in Crockford base32
    (26 characters, sortable by creation time). Written here because python-ulid's import alone
    costs ~15 ms of every command's start."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def check_id(value: Any, what: str = "memory id") -> str:
    """A well-formed ULID string (case-insensitive), returned upper-case."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    candidate = value.strip().upper()
    if not _ULID.fullmatch(candidate):
        raise InvalidInputError(f"{what} {value!r} is not a valid id (expected a 26-character ULID)")
    return candidate


def clean_text(value: Any, *, what: str, max_chars: int) -> str:
    """Text that is a non-empty, valid UTF-8 string of at most ``max_chars`` characters.

    ``bytes`` are accepted if they decode as UTF-8. Leading/trailing whitespace is kept as given
    (a stored memory is returned exactly), but whitespace-only text counts as empty.
    """
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{what} is not valid UTF-8 (bad byte at position {exc.start})") from None
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"{what} is not valid UTF-8 (undecodable character at position {exc.start}; "
            "was it read with the wrong encoding?)") from None
    if "\x00" in value:
        raise InvalidInputError(f"{what} contains a NUL character")
    if not value.strip():
        raise InvalidInputError(f"{what} is empty")
    if len(value) > max_chars:
        raise InvalidInputError(f"{what} is too long: {len(value):,} characters (the limit is {max_chars:,})")
    return value


def clean_name(value: Any, what: str, *, required: bool) -> str | None:
    """A user/agent/session id: a non-empty string without control characters."""
    if value is None:
        if required:
            raise InvalidInputError(f"{what} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} is not valid UTF-8") from None
    if not value.strip():
        raise InvalidInputError(f"{what} is empty")
    if len(value) > MAX_ID_CHARS or _CONTROL.search(value) or value != value.strip():
        raise InvalidInputError(
            f"{what} {value[:40]!r} is not allowed: at most {MAX_ID_CHARS} characters, "
            "no control characters, no leading or trailing whitespace")
    return value


def normalize(text: str) -> str:
    """The form used for duplicate detection: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


# Timestamps are stored as fixed-width UTC ISO-8601 text, so that they sort and compare as strings.
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> datetime:
    return datetime.now(timezone.utc)


def coerce_time(value: Any, what: str) -> datetime:
    """A datetime from a datetime, an ISO-8601 string or POSIX seconds (naive values are UTC)."""
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} must be a datetime, an ISO-8601 string or a number, got bool")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise InvalidInputError(f"{what} is not a finite number")
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise InvalidInputError(f"{what} {value!r} is out of range") from None
    if isinstance(value, str):
        try:
            return to_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            raise InvalidInputError(f"{what} {value!r} is not an ISO-8601 date/time") from None
    raise InvalidInputError(f"{what} must be a datetime, an ISO-8601 string or a number, "
                            f"got {type(value).__name__}")


def ts(value: datetime | None) -> str | None:
    return None if value is None else to_utc(value).strftime(_TS_FORMAT)


def parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value)  # the stored form ends in "Z": UTC (10x faster than strptime)


def dump_json(value: Any, what: str) -> str:
    """Canonical JSON text of a metadata-like dict (must be JSON-serialisable and reasonably small)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidInputError(f"{what} must be a dict, got {type(value).__name__}")
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} is not JSON-serialisable: {exc}") from None
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} contains text that is not valid UTF-8") from None
    if size > MAX_METADATA_BYTES:
        raise InvalidInputError(f"{what} is too large: {size:,} bytes of JSON (limit {MAX_METADATA_BYTES:,})")
    return text


def load_json(text: str | None) -> Any:
    return json.loads(text) if text else {}
