"""Mailpit's automatic tagging: which tags a message gets when it arrives.

Rules (Mailpit's ``storage.Store``, ``tagsFromPlusAddresses``,
``findTagsInRawMessage``, ``tagFilterMatches``, ``tools.SetTagCasing`` and
``config/tags.go``):

* **X-Tags**: the comma-separated ``X-Tags`` header gives tags
  (:func:`~smtp_core.devserver.mailbox.tagnames.from_header`); off with
  ``--tags-disable x-tags``.
* **Plus addresses**: each address of the ``From``, ``To``, ``Cc`` and
  ``Bcc`` headers (not the SMTP envelope: Mailpit reads the headers) that
  has a ``+`` before an ``@`` gives the text between its first ``+`` and the
  next ``@``, split on ``+``: ``ann+a+b@x`` tags ``a`` and ``b``;
  ``ann+@x`` gives nothing.  Off with ``--tags-disable plus-addresses``.
* **Title case** (``--tags-title-case``) applies to those two kinds only:
  the first letter of each word is made upper case, the rest left alone
  (``cases.Title(language.Und, cases.NoLower)``).  A space or ``-`` starts
  a new word; digits, ``_`` and a single ``.`` do not.
* **Filters** (``--tag TAGS=MATCH``, ``--tags-config``): a filter tags the
  message when the lower-cased message as received contains its ``match``
  (lower-cased) anywhere, headers included, *or* when the message matches
  ``match`` as a search (:mod:`~smtp_core.devserver.mailbox.search`).  As
  Mailpit warns, ``tag:``, ``is:tagged`` and ``is:read`` never help: the
  message has no tags yet and is unread.  Filters are tried in their order
  (``--tag`` ones first, then the file's); a matching filter with
  ``stop: true`` (our addition: Mailpit's YAML has only ``match`` and
  ``tags``) ends the filtering, its own tags given.
* **User name** (``--tags-username``): the SMTP AUTH user name, as a tag;
  not title-cased.
* **Found in the folder** (a file the index does not know: a deleted
  index, a file copied into the Maildir): the same bytes get the same tags
  as at SMTP intake (:meth:`AutoTagger.tags_of_indexed`), all but the user
  name, which the file does not record.  A filter's search then sees the
  file's read flag and its time as received (``is:read``, ``after:``).
* All of them are cleaned and merged as X-Tags are
  (:func:`~smtp_core.devserver.mailbox.tagnames.unique`): one per name in
  any case, the first spelling seen winning, in the order filters (raw
  matches), X-Tags, plus addresses, filters (search matches), user name.

Bad settings are refused when the server starts, by :class:`TagSettingError`
naming the option, file, line and key.

>>> title_case("my-tag one_two v1.2 a..b")
'My-Tag One_two V1.2 A..B'
>>> plus_tags("ann+Debug+Build 7@example.com"), plus_tags("ann@ex+ample.com")
(['Debug', 'Build 7'], [])
>>> [(f.tags, f.match) for f in filters_from_argument('"Big news"=Subject:Hello x,y=a=b')]
[(('Big news',), 'subject:hello'), (('x', 'y'), 'a=b')]
>>> rules = AutoTagger(filters_from_argument("Hi=hello"), username=True)
>>> rules.arrival(b"Subject: HELLO\\r\\n\\r\\n", {"tags": []}, "ann").tags({})
['ann', 'Hi']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import search, tagnames

__all__ = ["AutoTagger", "TagFilter", "PendingTags", "TagSettingError", "filters_from_argument",
           "filters_from_yaml", "parse_disable", "title_case", "plus_tags", "DISABLE_NAMES"]


class TagSettingError(ValueError):
    """A tagging setting the server will not start with; the text names it."""


#: ``--tags-disable`` names (Mailpit accepts both spellings of each).
DISABLE_NAMES = {"x-tags": "x_tags", "xtags": "x_tags",
                 "plus-addresses": "plus_addresses", "plus-addressing": "plus_addresses"}

# Mailpit's addressPlusRe, (?U)^(.*){1,}\+(.*)@: the first "+" with an "@" after it.
_PLUS = re.compile(r"(.*?)\+(.*?)@")
# x/text's "Mid" runes (Unicode's MidLetter, MidNumLet, Single_Quote): one
# joins the letters around it into a word, two in a row end it.  Digits and
# "_" are inside a word; anything else (MidNum's "," and ";" too) breaks.
_MID = frozenset(".'’:·")
# The addresses searched for plus tags, by index_fields' summary names.
_ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc")


@dataclass(frozen=True)
class TagFilter:
    """One filter: the message matching ``match`` gets ``tags``."""

    match: str
    tags: tuple[str, ...]
    stop: bool = False
    #: Where it was set (``--tag 'x=y'``, ``FILE line 3``), for errors.
    origin: str = ""


def title_case(text: str) -> str:
    """``text`` with the first cased letter of each word upper-cased (Go's
    ``cases.Title(language.Und, cases.NoLower)`` for these characters)."""
    letters: list[str] = []
    in_word = previous_mid = False
    for character in text:
        mid = character in _MID
        if previous_mid and mid:  # two joiners in a row end the word
            in_word = False
        if character.lower() != character.upper():
            if not in_word:
                character = character.upper()
            in_word = True
        elif not (mid or character.isalnum() or character == "_"):
            in_word = False
        previous_mid = mid
        letters.append(character)
    return "".join(letters)


def plus_tags(address: str) -> list[str]:
    """The tags of one plus address (uncleaned; ``[]`` for none)."""
    found = _PLUS.match(address)
    return found.group(2).split("+") if found else []


def filters_from_argument(value: str, option: str = "--tag") -> list[TagFilter]:
    """Mailpit's ``--tag`` value: ``TAGS=MATCH`` pairs separated by spaces
    (quotes keep spaces in one pair and are dropped), ``TAGS`` comma-separated;
    the match is lower-cased, as Mailpit does."""
    found = []
    for pair in search.terms(value):
        tags, equals, match = pair.partition("=")
        if not equals:
            raise TagSettingError(f"{option}: {pair!r} has no '=' (expected TAGS=MATCH)")
        found.append(_checked(match.strip().lower(), tags.split(","), False, f"{option} {pair!r}"))
    return found


def filters_from_yaml(text: str, source: str) -> list[TagFilter]:
    """The filters of a ``--tags-config`` file (Mailpit's YAML)::

        filters:
          - match: from:ann@example.com
            tags: Ann, Team A
            stop: true

    Any other key, a wrong type or a filter that cannot work is a
    :class:`TagSettingError` naming ``source``, the line and the key."""
    import yaml  # the devserver extra's: only a tags-config file needs it

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TagSettingError(f"--tags-config {source}{where}: not YAML: {getattr(error, 'problem', error)}") from None
    top = _mapping(root, source, "the file", {"filters"})
    if "filters" not in top:
        raise TagSettingError(f"--tags-config {source}: no 'filters:' list")
    items = top["filters"][1]
    if not isinstance(items, yaml.SequenceNode):
        raise TagSettingError(f"--tags-config {source} line {_line(items)}: 'filters' must be a list")
    found = []
    for item in items.value:
        keys = _mapping(item, source, "a filter", {"match", "tags", "stop"})
        origin = f"--tags-config {source} line {_line(item)}"
        for required in ("match", "tags"):
            if required not in keys:
                raise TagSettingError(f"{origin}: the filter has no '{required}'")
        match, tags = (_scalar(keys[name], origin, name) for name in ("match", "tags"))
        stop = False
        if "stop" in keys:
            stop_node = keys["stop"][1]
            if getattr(stop_node, "tag", "") != "tag:yaml.org,2002:bool":  # a quoted "true" is text
                raise TagSettingError(f"{origin}: 'stop' must be true or false")
            stop = stop_node.value.lower() in ("true", "yes", "on")
        found.append(_checked(match.strip(), tags.split(","), stop, origin))
    return found


def parse_disable(value: str) -> set[str]:
    """``--tags-disable``: ``{"x_tags", "plus_addresses"}`` or fewer."""
    found = set()
    for name in value.lower().split(","):
        if name.strip() not in DISABLE_NAMES:
            raise TagSettingError(f"--tags-disable: unknown kind {name.strip()!r} "
                                  "(expected plus-addresses, x-tags or both, comma-separated)")
        found.add(DISABLE_NAMES[name.strip()])
    return found


def _checked(match: str, tags: Sequence[str], stop: bool, origin: str) -> TagFilter:
    if not match:
        raise TagSettingError(f"{origin}: the match is empty")
    cleaned = [tagnames.clean(tag) for tag in tags]
    if not all(cleaned):
        empty = next(tag for tag, clean in zip(tags, cleaned) if not clean)
        raise TagSettingError(f"{origin}: tag {empty.strip()!r} in 'tags' cleans to nothing "
                              "(a tag keeps letters, digits, spaces, '-', '_' and '.')")
    try:
        search.to_sql(match)
    except search.SearchError as error:
        raise TagSettingError(f"{origin}: {error}") from None
    return TagFilter(match, tuple(cleaned), stop, origin)


def _line(node: Any) -> int:
    return node.start_mark.line + 1


def _mapping(node: Any, source: str, what: str, allowed: set[str]) -> dict[str, tuple[Any, Any]]:
    """``{key: (key node, value node)}`` of a YAML mapping node with only ``allowed`` keys."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        line = f" line {_line(node)}" if node is not None else ""
        raise TagSettingError(f"--tags-config {source}{line}: {what} must be a mapping")
    found = {}
    for key, value in node.value:
        if key.value not in allowed:
            raise TagSettingError(f"--tags-config {source} line {_line(key)}: unknown key {key.value!r} "
                                  f"(expected {', '.join(sorted(allowed))})")
        found[key.value] = (key, value)
    return found


def _scalar(pair: tuple[Any, Any], origin: str, name: str) -> str:
    import yaml

    if not isinstance(pair[1], yaml.ScalarNode):
        raise TagSettingError(f"{origin}: '{name}' must be text")
    return str(pair[1].value)


class AutoTagger:
    """The tagging rules of one store, compiled once: every filter's search
    becomes one column of a single ``SELECT``, so that an arrival costs one
    query whatever the number of filters."""

    def __init__(self, filters: Iterable[TagFilter] = (), *, plus_addresses: bool = True, x_tags: bool = True,
                 title_case: bool = False, username: bool = False):
        self.filters = tuple(filters)
        self.plus_addresses = plus_addresses
        self.x_tags = x_tags
        self.title_case = title_case
        self.username = username
        self._raw_matches = [tag_filter.match.lower().encode("utf-8") for tag_filter in self.filters]
        columns, self._parameters = [], []
        for tag_filter in self.filters:
            condition, parameters = search.to_sql(tag_filter.match)
            columns.append(f"({condition})")
            self._parameters += parameters
        self._query = f"SELECT {', '.join(columns)} FROM messages WHERE seq = ?" if columns else ""

    def arrival(self, raw: bytes, fields: Mapping[str, Any], authenticated_as: str | None) -> PendingTags:
        """What can be told of a message before it is indexed (from its
        bytes and :func:`~smtp_core.devserver.mailbox.mailview.index_fields`);
        :meth:`PendingTags.tags` completes it once its row exists."""
        casing: Callable[[str], str] = title_case if self.title_case else str
        found = [casing(tag) for tag in fields["tags"]] if self.x_tags else []
        if self.plus_addresses:
            found += [casing(tag) for address in _header_addresses(fields) for tag in plus_tags(address)]
        lowered = raw.lower() if self.filters else b""
        return PendingTags(self, [match in lowered for match in self._raw_matches], found,
                           [authenticated_as] if self.username and authenticated_as else [])

    def tags_of_indexed(self, raw: bytes, fields: Mapping[str, Any], connection: Any, seq: int) -> list[str]:
        """The tags of a message found in the folder, whose row ``seq`` is
        on ``connection`` already: :meth:`arrival` and :meth:`PendingTags.tags`
        at once, so re-index gives the same bytes intake's tags (no user
        name: a file does not record it)."""
        return self.arrival(raw, fields, None).tags(connection, seq)

    def search_hits(self, connection: Any, seq: int) -> Sequence[bool]:
        """Which filters' searches the indexed message ``seq`` matches."""
        if not self._query:
            return ()
        row = connection.execute(self._query, (*self._parameters, seq)).fetchone()
        return [bool(value) for value in row] if row else [False] * len(self.filters)


@dataclass
class PendingTags:
    """An arrival's tags, waiting for its search matches."""

    rules: AutoTagger
    raw_hits: list[bool]
    header_tags: list[str]
    user_tags: list[str]

    def tags(self, connection: Any, seq: int = 0) -> list[str]:
        """The message's tags, clean and unique, in Mailpit's order; the
        searches run on ``connection`` against the row ``seq`` (not at all
        when every filter matched the bytes already)."""
        searched: Sequence[bool] = [False] * len(self.raw_hits)
        if not all(self.raw_hits):
            searched = self.rules.search_hits(connection, seq)
        raw_tags, search_tags = [], []
        for tag_filter, raw_hit, search_hit in zip(self.rules.filters, self.raw_hits, searched):
            if raw_hit or search_hit:
                (raw_tags if raw_hit else search_tags).extend(tag_filter.tags)
                if tag_filter.stop:
                    break
        return tagnames.unique([*raw_tags, *self.header_tags, *search_tags, *self.user_tags])


def _header_addresses(fields: Mapping[str, Any]) -> list[str]:
    # index_fields' address objects (its JSON columns need no decoding).
    addresses = fields.get("addresses", {})
    found = []
    for name in _ADDRESS_HEADERS:
        value = addresses.get(name) or []
        for entry in ([value] if isinstance(value, dict) else value):
            found.append(str(entry.get("Address", "")))
    return found
