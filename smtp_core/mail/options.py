"""Reading a map of options, as composition and DKIM signing take them.  No I/O.

Rules:

* a key is a Hy keyword (``:reply-to``) or a string, in any case, with
  ``-`` or ``_`` between words; it is read under its canonical name
  (``"reply-to"``);
* an unknown key is an error that names it and the closest valid key (or
  lists the valid keys when none is close);
* a key given twice, under two spellings, is an error.

Hy keywords are recognised by their type's name, so plain Python users do
not import Hy.

>>> read_options({"Reply_To": 1}, ("reply-to", "subject"), "message")
{'reply-to': 1}
"""

from __future__ import annotations

import difflib
from typing import Any, Mapping

from ..errors import ComposeError

__all__ = ["keyword_name", "read_options", "shown_key"]


def keyword_name(value: Any) -> str | None:
    """The name of a Hy keyword (``:alternative`` -> ``"alternative"``), else ``None``.

    Tested by type name so that plain Python users do not import Hy.
    """
    kind = type(value)
    if kind.__name__ == "Keyword" and kind.__module__.startswith("hy"):
        return value.name
    return None


def shown_key(key: Any) -> str:
    """``key`` as the user wrote it: ``:name`` for a keyword, else its repr."""
    name = keyword_name(key)
    return ":" + name if name is not None else repr(key)


def read_options(spec: Any, valid: tuple, where: str, error: type = ComposeError) -> dict:
    """``spec``'s entries under their canonical names (``"reply-to"``).

    Keys may be keywords or strings, ``-`` or ``_``, any case; an unknown
    key raises ``error`` naming it and the closest valid key.

    >>> read_options({"subjcet": 1}, ("reply-to", "subject"), "message")
    Traceback (most recent call last):
    smtp_core.errors.ComposeError: message: unknown key 'subjcet'; did you mean 'subject'?
    """
    if not isinstance(spec, Mapping):
        raise error("%s must be a map, got %s" % (where, type(spec).__name__))
    options: dict = {}
    for key, value in spec.items():
        name = keyword_name(key)
        if name is None:
            if not isinstance(key, str):
                raise error("%s: a key must be a keyword or a string, got %r" % (where, key))
            name = key
        name = name.lower().replace("_", "-")
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
            spell = (lambda k: ":" + k) if keyword_name(key) is not None else repr
            hint = ("; did you mean %s?" % spell(close[0]) if close
                    else "; valid keys: " + ", ".join(map(spell, valid)))
            raise error("%s: unknown key %s%s" % (where, shown_key(key), hint))
        if name in options:
            raise error("%s: the key %s is given twice" % (where, shown_key(key)))
        options[name] = value
    return options
