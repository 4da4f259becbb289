"""Mailpit's search syntax, turned into an SQL condition on the store's index.

Rules (Mailpit's, see its "search filters" documentation):

* The query splits on spaces; ``"quoted phrases"`` stay one term (quotes
  may also follow a prefix: ``subject:"two words"``).
* A term starting with ``-`` or ``!`` is negated.
* Every term must hold (AND).  Matching is case-insensitive substring
  matching (``LIKE``), with ``%`` and ``_`` taken literally.
* A term without a known prefix searches the message's search text: the
  address headers, subject, Return-Path, the body (HTML stripped, else the
  text part) and attachment file names.
* A term with no letter or digit is ignored, as Mailpit does.
* An address prefix (``to:``, ``addressed:``, ...) with a non-ASCII domain
  also matches its A-labels (``to:bob@bücher`` finds ``bob@xn--bcher-kva``),
  as the address columns hold addresses as the headers have them.
* ``tag:NAME`` (``tag:"two words"``) matches messages with that tag, its
  whole name in any case; ``is:tagged`` those with any tag.

Prefixes, in :data:`FIELD_PREFIXES` (substring of one column) and
:data:`FLAGS` (a fixed condition); ``larger:``/``smaller:`` take sizes such
as ``10k`` or ``1.5M``, ``after:``/``before:`` dates as ``YYYY-MM-DD`` (or any
ISO 8601 date-time, local time unless a ``tz`` zone is given:
:func:`zone_named`).

>>> condition, parameters = to_sql('from:ann -is:read "big news"')
>>> parameters
['%ann%', '%big news%']
>>> condition.count(" AND "), "NOT (+read = 1)" in condition
(2, True)
>>> terms('subject:"two words" -x !y')
['subject:two words', '-x', '!y']
>>> to_sql("")
('1', [])

Limits (a search is a scan of every message's text, once per term): at most
:data:`MAX_TERMS` terms and :data:`MAX_QUERY_LENGTH` characters, else
:class:`SearchError` names the limit.  A size too large for SQLite's
integers is clamped (``larger:`` then matches nothing, ``smaller:``
everything); a date outside the calendar is ignored like any bad date.

>>> try:
...     to_sql(" ".join(["-x"] * 51))
... except SearchError as error:
...     print(error)
too many search terms: 51 (at most 50)
>>> to_sql("larger:99999999999999999999")[1] == [SIZE_CEILING]
True
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from collections.abc import Callable

import idna

__all__ = ["to_sql", "zone_named", "terms", "address_forms", "SearchError", "FIELD_PREFIXES", "FLAGS", "MAX_TERMS", "MAX_QUERY_LENGTH"]

#: Terms in one query: far more than any person types, few enough that the
#: worst query scans the index a bounded number of times.
MAX_TERMS = 50
#: Characters in one query.
MAX_QUERY_LENGTH = 2000
#: Sizes are clamped here: larger than any message, and an SQLite integer.
SIZE_CEILING = 2 ** 62


class SearchError(ValueError):
    """A query the catcher will not run; the text says which limit it broke."""

#: ``prefix:value`` matched as a substring of one indexed column.
FIELD_PREFIXES: dict[str, str] = {
    "from:": "from_json",
    "to:": "to_json",
    "cc:": "cc_json",
    "bcc:": "bcc_json",
    "reply-to:": "reply_to_json",
    "subject:": "subject",
    "message-id:": "message_id",
}
#: ``addressed:`` matches any of these columns.
ADDRESS_COLUMNS = ("from_json", "to_json", "cc_json", "bcc_json", "reply_to_json")
#: Whole terms with a fixed condition.  ``+read`` keeps SQLite off the
#: ``messages_read`` index, which serves the unread count: in a search it
#: fetched every unread row by its key and sorted them, slower than the
#: scan when most mail is unread, as in a catcher it usually is.
FLAGS: dict[str, str] = {
    "is:read": "+read = 1",
    "is:unread": "+read = 0",
    "has:attachment": "attachments > 0",
    "has:attachments": "attachments > 0",
    "has:inline": "inline > 0",
    "has:inlines": "inline > 0",
    "is:tagged": "seq IN (SELECT seq FROM message_tags)",
}
_LIKE = " LIKE ? ESCAPE '\\'"
_TAGGED = "seq IN (SELECT mt.seq FROM message_tags mt JOIN tags t ON t.id = mt.tag WHERE t.name = ?)"
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s?(k|kb|m|mb)?$")


def terms(query: str) -> list[str]:
    """Split ``query`` into terms: on spaces outside double quotes, with the
    quotes removed."""
    found: list[str] = []
    current: list[str] = []
    quoted = False
    for character in query:
        if character == '"':
            quoted = not quoted
        elif character.isspace() and not quoted:
            if current:
                found.append("".join(current))
            current = []
        else:
            current.append(character)
    if current:
        found.append("".join(current))
    return found


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _size(value: str) -> int | None:
    match = _SIZE.match(value.strip().lower())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or ""
    # float() of a long digit string is inf: min() clamps that too.
    return int(min(number * {"": 1, "k": 1024, "kb": 1024, "m": 1024 ** 2, "mb": 1024 ** 2}[unit], SIZE_CEILING))


def _local(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in the local zone.  At the calendar's ends Python 3.13's
    ``astimezone`` overflows where 3.11's does not: then today's offset."""
    try:
        return moment.astimezone()
    except (OverflowError, ValueError, OSError):
        return moment.replace(tzinfo=datetime.datetime.now().astimezone().tzinfo)


def _date_ms(value: str, zone: datetime.tzinfo | None = None) -> int | None:
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone) if zone is not None else _local(moment)
        return int(moment.timestamp() * 1000)
    except (ValueError, OverflowError, OSError):  # not a date, or outside what the clock can say
        return None


def _range(column: str, operator: str, parse: Callable[[str], int | None]) -> Callable[[str], tuple[str, list[Any]] | None]:
    def condition(value: str) -> tuple[str, list[Any]] | None:
        parsed = parse(value)
        return None if parsed is None else (f"{column} {operator} ?", [parsed])
    return condition


#: ``prefix:value`` with a comparison; an unparsable value makes the term
#: plain search text for sizes (as Mailpit) and is ignored for dates.
RANGES: dict[str, Callable[[str], tuple[str, list[Any]] | None]] = {
    "larger:": _range("size", ">", _size),
    "smaller:": _range("size", "<", _size),
    "after:": _range("created", ">=", _date_ms),
    "before:": _range("created", "<=", _date_ms),
}


def address_forms(value: str) -> list[str]:
    """``value`` and, when a label after its ``@`` (or any label, with no
    ``@``) is not ASCII, the same text with those labels as A-labels.

    >>> address_forms("bob@bücher"), address_forms("plain")
    (['bob@bücher', 'bob@xn--bcher-kva'], ['plain'])
    """
    if value.isascii():
        return [value]
    local, at, domain = value.rpartition("@")
    try:
        labels = [label if label.isascii() else idna.alabel(label).decode("ascii") for label in domain.split(".")]
    except (idna.IDNAError, UnicodeError):
        return [value]
    variant = local + at + ".".join(labels)
    return [value] if variant == value else [value, variant]


def _any_column(columns: tuple[str, ...], value: str) -> tuple[str, list[Any]]:
    forms = address_forms(value)
    return ("(" + " OR ".join(column + _LIKE for column in columns for _ in forms) + ")",
            [_like(form) for _ in columns for form in forms])


def _condition(term: str, zone: datetime.tzinfo | None = None) -> tuple[str, list[Any]] | None:
    lowered = term.lower()
    for prefix, operator in (("after:", ">="), ("before:", "<=")):
        if zone is not None and lowered.startswith(prefix):
            found = _date_ms(term[len(prefix):], zone)
            return None if found is None else (f"created {operator} ?", [found])
    if lowered in FLAGS:
        return FLAGS[lowered], []
    for prefix, column in FIELD_PREFIXES.items():
        if lowered.startswith(prefix):
            value = term[len(prefix):].strip()
            if not value:
                return None
            return _any_column((column,), value) if column in ADDRESS_COLUMNS else (column + _LIKE, [_like(value)])
    if lowered.startswith("tag:"):  # one tag, by its whole name, in any case
        value = term[len("tag:"):].strip()
        return (_TAGGED, [value]) if value else None
    if lowered.startswith("addressed:"):
        value = term[len("addressed:"):].strip()
        if not value:
            return None
        return _any_column(ADDRESS_COLUMNS, value)
    for prefix, condition in RANGES.items():
        if lowered.startswith(prefix):
            found = condition(term[len(prefix):])
            if found is not None or prefix in ("after:", "before:"):
                return found
    cleaned = " ".join(re.sub(r"[\r\n\t<>\",;]", " ", lowered).split())
    return ("search_text" + _LIKE, [_like(cleaned)]) if cleaned else None


def zone_named(name: str) -> datetime.tzinfo | None:
    """Mailpit's ``tz`` parameter: the IANA zone ``name`` (``None`` for
    ``""``: local time); :class:`SearchError` names an unknown zone."""
    if not name:
        return None
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SearchError(f"unknown time zone: {name!r}") from None


def to_sql(query: str, zone: datetime.tzinfo | None = None) -> tuple[str, list[Any]]:
    """``(condition, parameters)`` for a ``WHERE`` clause selecting the
    messages that match ``query`` (``"1"`` for an empty query); a date
    without an offset in ``after:``/``before:`` is in ``zone`` (Mailpit's
    ``tz``), else local time."""
    found_terms = terms(query)
    if len(found_terms) > MAX_TERMS:
        raise SearchError(f"too many search terms: {len(found_terms)} (at most {MAX_TERMS})")
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchError(f"search query too long: {len(query)} characters (at most {MAX_QUERY_LENGTH})")
    conditions: list[str] = []
    parameters: list[Any] = []
    for term in found_terms:
        negated = len(term) > 1 and term[0] in "-!"
        if negated:
            term = term[1:]
        if not re.search(r"[A-Za-z0-9]", term):
            continue
        found = _condition(term, zone)
        if found is None:
            continue
        condition, values = found
        conditions.append(f"NOT ({condition})" if negated else condition)
        parameters += values
    return (" AND ".join(conditions) or "1"), parameters
