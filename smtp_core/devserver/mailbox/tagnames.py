"""Mailpit's tag names: what a tag may be called, and how a list is read.

Rules (Mailpit's ``tools.CleanTag`` and its storage):

* A tag holds letters ``a-z``/``A-Z``, digits, ``-``, ``_``, ``.`` and
  spaces.  Any other character becomes a space; runs of white space become
  one space; the ends are trimmed.  What is left empty is no tag.
* Tags are one per name regardless of case: the casing first seen is kept
  (the store applies that, :func:`unique` only drops repeats).
* A header (``X-Tags``) or the send API's ``Tags`` is a comma-separated
  list; the message's tags are sorted case-insensitively, as Mailpit lists
  them.

>>> clean("  Tag\\t<1>  ")
'Tag 1'
>>> clean("a.b_c-d")
'a.b_c-d'
>>> clean("!!!")
''
>>> from_header("Tag 1, tag 1 ,beta,,  Alpha ")
['Alpha', 'beta', 'Tag 1']
>>> is_valid("ok tag"), is_valid("no/slash")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["clean", "is_valid", "unique", "from_header", "ordered", "MAX_TAG_LENGTH"]

_INVALID = re.compile(r"[^a-zA-Z0-9\- _.]")
_SPACES = re.compile(r"\s+")
_VALID = re.compile(r"^[a-zA-Z0-9\- _.]+\Z")
#: A longer name is cut here: tags are labels, and every summary carries them.
MAX_TAG_LENGTH = 100


def clean(name: str) -> str:
    """``name`` with the characters a tag may not hold made spaces, white
    space collapsed and trimmed (``""``: no tag)."""
    return _SPACES.sub(" ", _INVALID.sub(" ", name)).strip()[:MAX_TAG_LENGTH].strip()


def is_valid(name: str) -> bool:
    """True if ``name`` is a tag as it stands (already clean and not empty)."""
    return bool(_VALID.match(name)) and name == clean(name)


def ordered(names: Iterable[str]) -> list[str]:
    """``names`` in Mailpit's order: case-insensitive, then as written."""
    return sorted(names, key=lambda name: (name.lower(), name))


def unique(names: Iterable[str]) -> list[str]:
    """The clean, non-empty ``names``, each once (case-insensitively, the
    first spelling wins), in Mailpit's order."""
    found = {}
    for name in names:
        cleaned = clean(str(name))
        if cleaned and cleaned.lower() not in found:
            found[cleaned.lower()] = cleaned
    return ordered(found.values())


def from_header(value: str | None) -> list[str]:
    """The tags of a comma-separated list (an ``X-Tags`` header)."""
    return unique(value.split(",")) if value else []
