"""``GET /api/v1/message/{ID}/html-check``: which mail clients support the
HTML and CSS that a message's HTML part uses (Mailpit's HTML check).

Rules:

* The support figures are caniemail.com's, from a dated copy shipped beside
  this module (``data/caniemail.json``, taken from npm's ``caniemail``
  package, MIT, licence in ``data/caniemail.LICENSE``;
  ``tools/refresh_caniemail.py`` replaces it).  Nothing is fetched when a
  check runs: remote style sheets are not loaded (Mailpit loads them).
* A *feature* is one caniemail slug.  The HTML is read once with
  :mod:`html.parser`; :func:`features_of` counts, per slug:

  - ``html-*``: the elements and attributes of :data:`HTML_FEATURES`;
    ``html-body`` when the HTML has a ``</body>``; ``html-script`` (not in
    the data: no client runs scripts) for each ``<script>`` that is not JSON;
  - ``image-*``: each ``<img src>`` by its file extension, ``data:image/``
    as ``image-base64``;
  - ``css-*``: each declaration of a ``style`` attribute or ``<style>``
    block, as ``css-PROPERTY`` when the data has that slug, and the values
    of :data:`CSS_VALUE_FEATURES`; in ``<style>`` blocks also each at-rule
    (``css-at-NAME``) and pseudo-class or pseudo-element
    (``css-pseudo-class-NAME``, ``css-pseudo-element-NAME``).

* Each warning's ``Score`` is the share of client versions in the data
  that support the feature (``y``), do not (``n``), or partly (anything
  else; a trailing ``#N`` names the note); ``Found`` is the count.
* ``Total`` is Mailpit's: ``Nodes`` counts the elements (not ``html``,
  ``head``, ``meta``; not ``body`` either for a fragment without
  ``</body>``); ``Partial`` and ``Unsupported`` are each the largest
  ``score * Found / Nodes`` over the warnings, ``Supported`` the rest of
  100; warnings come worst first.  ``Platforms`` lists, per platform, the
  client families the data knows.
* The check runs in a worker thread, not on the catcher's event loop.
* A message without an HTML part is ``400`` ``message does not contain
  HTML`` (Mailpit's text); an unknown ID ``404``.

>>> sorted(features_of('<div style="display:flex; color: red"><img src="a.WebP"></div>').items())
[('css-display', 1), ('css-display-flex', 1), ('html-div', 1), ('html-img', 1), ('image-webp', 1)]
>>> features_of("<style>@media (max-width: 1px) { a:hover::before { margin: 0 } }</style>")["css-pseudo-class-hover"]
1
"""

from __future__ import annotations

import functools
import html
import html.parser
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from collections.abc import Callable

from aiohttp import web

from ..mailbox.store import MailStore
from .api import off_loop
from .mailpit_extra import json_ok, text_error, with_message

__all__ = ["add_routes", "check_html", "features_of", "caniemail", "DATA_FILE", "HTML_FEATURES",
           "CSS_VALUE_FEATURES"]

DATA_FILE = Path(__file__).parent / "data" / "caniemail.json"

# slug -> what counts: "tag", "tag[attribute]", "[attribute]", "tag[attribute=value]", "[attribute^=value]"
HTML_FEATURES: dict[str, tuple[str, ...]] = {
    "html-abbr": ("abbr",), "html-acronym": ("acronym",), "html-address": ("address",),
    "html-align": ("[align]",), "html-anchor-links": ("a[href^=#]",), "html-aria-describedby": ("[aria-describedby]",),
    "html-aria-hidden": ("[aria-hidden]",), "html-aria-label": ("[aria-label]",),
    "html-aria-labelledby": ("[aria-labelledby]",), "html-aria-live": ("[aria-live]",), "html-audio": ("audio",),
    "html-background": ("[background]",), "html-base": ("base",), "html-bdi": ("bdi",),
    "html-blockquote": ("blockquote",), "html-button-reset": ("button[type=reset]",),
    "html-button-submit": ("button[type=submit]",), "html-cellpadding": ("[cellpadding]",),
    "html-cellspacing": ("[cellspacing]",), "html-code": ("code",), "html-del": ("del",), "html-dfn": ("dfn",),
    "html-dialog": ("dialog",), "html-dir": ("[dir]",), "html-div": ("div",), "html-form": ("form",),
    "html-h1-h6": ("h1", "h2", "h3", "h4", "h5", "h6"), "html-height": ("[height]",), "html-hidden": ("[hidden]",),
    "html-hr": ("hr",), "html-image-maps": ("map", "img[usemap]"), "html-img": ("img",),
    "html-input-checkbox": ("input[type=checkbox]",), "html-input-hidden": ("input[type=hidden]",),
    "html-input-radio": ("input[type=radio]",), "html-input-reset": ("input[type=reset]",),
    "html-input-submit": ("input[type=submit]",), "html-input-text": ("input[type=text]",),
    "html-lang": ("[lang]",), "html-link": ("link",), "html-lists": ("ul", "ol", "dl"),
    "html-loading-attribute": ("[loading]",), "html-mailto-links": ("a[href^=mailto:]",),
    "html-marquee": ("marquee",), "html-meta-color-scheme": ("meta[name=color-scheme]",), "html-meter": ("meter",),
    "html-object": ("object", "embed"), "html-p": ("p",), "html-picture": ("picture",), "html-popover": ("[popover]",),
    "html-pre": ("pre",), "html-progress": ("progress",), "html-required": ("[required]",), "html-role": ("[role]",),
    "html-rp": ("rp",), "html-rt": ("rt",), "html-ruby": ("ruby",), "html-select": ("select",),
    "html-semantics": ("article", "aside", "details", "figcaption", "figure", "footer", "header", "main", "mark",
                       "nav", "section", "summary", "time"),
    "html-small": ("small",), "html-span": ("span",), "html-srcset": ("[srcset]",), "html-strike": ("strike",),
    "html-strong": ("strong",), "html-style": ("style",), "html-svg": ("svg",), "html-table": ("table",),
    "html-target": ("[target]",), "html-textarea": ("textarea",), "html-valign": ("[valign]",),
    "html-video": ("video",), "html-wbr": ("wbr",), "html-width": ("[width]",),
}

# slug -> pattern over one declaration "property: value" (lower-cased, spaces squeezed)
CSS_VALUE_FEATURES: dict[str, re.Pattern[str]] = {
    "css-display-flex": re.compile(r"^display:\s*(inline-)?flex\b"),
    "css-display-grid": re.compile(r"^display:\s*(inline-)?grid\b"),
    "css-display-none": re.compile(r"^display:\s*none\b"),
    "css-important": re.compile(r"!\s*important"),
    "css-rgb": re.compile(r"\brgb\("),
    "css-rgba": re.compile(r"\brgba\("),
    "css-unit-calc": re.compile(r"\bcalc\("),
    "css-variables": re.compile(r"^--|\bvar\("),
    "css-linear-gradient": re.compile(r"\blinear-gradient\("),
    "css-radial-gradient": re.compile(r"\bradial-gradient\("),
    "css-conic-gradient": re.compile(r"\bconic-gradient\("),
}

_IMAGE_EXTENSIONS = {"jpeg": "jpg", "tif": "tiff"}
_AT_RULE = re.compile(r"@([a-z-]+)")
_PSEUDO = re.compile(r"(::?)([a-z-]+)")
_NOTE = re.compile(r" #(\d+)$")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/message/{id}/html-check", html_check)


@with_message(MailStore.message)
async def html_check(request: web.Request, message: dict[str, Any]) -> web.Response:
    if not message.get("HTML"):
        return text_error("message does not contain HTML")
    # Off the event loop: a large HTML part must not stall SMTP intake and the API.
    return json_ok(await off_loop(check_html, message["HTML"]))


@functools.cache
def caniemail() -> dict[str, Any]:
    """The shipped caniemail.com data, read once; ``"features"`` by slug."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    data["features"] = {feature["slug"]: feature for feature in data["data"]}
    return data


class _Reader(html.parser.HTMLParser):
    """Counts the features of one HTML text as it is read."""

    def __init__(self, slugs: dict[str, Any]) -> None:
        super().__init__(convert_charrefs=True)
        self.slugs = slugs
        self.found: Counter[str] = Counter()
        self.nodes = 0
        self.body_nodes = 0
        self.in_style = False
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag not in ("html", "head", "meta"):
            self.nodes += 1
            self.body_nodes += tag != "body"
        matched = {slug for slug, test in _BY_TAG.get(tag, ()) if test(values)}
        matched.update(slug for name in values for slug, test in _BY_ATTRIBUTE.get(name, ()) if test(values))
        self.found.update(matched)
        if tag == "script" and values.get("type", "").lower() not in ("application/ld+json", "application/json"):
            self.found["html-script"] += 1
        if tag == "img" and values.get("src"):
            self._image(values["src"].strip().lower())
        if "style" in values:
            self._declarations(values["style"])
        self.in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        if tag == "body":
            self.found["html-body"] = 1

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self._style_sheet(data)

    def _image(self, source: str) -> None:
        if source.startswith("data:image/"):
            self.found["image-base64"] += 1
            return
        extension = source.split("?", 1)[0].split("#", 1)[0].rsplit(".", 1)[-1]
        slug = "image-" + _IMAGE_EXTENSIONS.get(extension, extension)
        if slug in self.slugs:
            self.found[slug] += 1

    def _declarations(self, text: str) -> None:
        for declaration in text.split(";"):
            declaration = " ".join(declaration.lower().split())
            name, colon, _ = declaration.partition(":")
            if not colon:
                continue
            if "css-" + name.strip() in self.slugs:
                self.found["css-" + name.strip()] += 1
            for slug, pattern in CSS_VALUE_FEATURES.items():
                self.found[slug] += bool(pattern.search(declaration))

    def _style_sheet(self, text: str) -> None:
        text = _COMMENT.sub("", text.lower())
        for name in _AT_RULE.findall(text):
            self._count_if_known("css-at-" + name)
        rules = re.split(r"[{}]", text)
        for index, chunk in enumerate(rules):
            if ":" in chunk and index + 1 < len(rules) and "@" not in chunk:  # a selector: what precedes a "{"
                for colons, name in _PSEUDO.findall(chunk):
                    kind = "element" if colons == "::" or name in ("before", "after") else "class"
                    self._count_if_known(f"css-pseudo-{kind}-{name}")
            else:
                self._declarations(chunk)

    def _count_if_known(self, slug: str) -> None:
        if slug in self.slugs:
            self.found[slug] += 1


def _selector_test(attribute: str) -> Callable[[dict[str, str]], bool]:
    """The test of one :data:`HTML_FEATURES` attribute selector on an element's attributes."""
    name, equals, wanted = attribute.partition("=")
    if name.endswith("^"):
        name = name[:-1]
        return lambda values: values.get(name, "").lower().startswith(wanted)
    if equals:
        return lambda values: values.get(name, "").lower() == wanted
    return lambda values: name in values


def _index() -> tuple[dict[str, list[tuple[str, Any]]], dict[str, list[tuple[str, Any]]]]:
    """:data:`HTML_FEATURES` by the tag, or (without one) the attribute, an element must have."""
    by_tag: dict[str, list[tuple[str, Any]]] = {}
    by_attribute: dict[str, list[tuple[str, Any]]] = {}
    for slug, selectors in HTML_FEATURES.items():
        for selector in selectors:
            element, _, attribute = selector.partition("[")
            attribute = attribute.rstrip("]")
            test = _selector_test(attribute) if attribute else (lambda values: True)
            if element:
                by_tag.setdefault(element, []).append((slug, test))
            else:
                by_attribute.setdefault(attribute.split("=")[0].rstrip("^"), []).append((slug, test))
    return by_tag, by_attribute


_BY_TAG, _BY_ATTRIBUTE = _index()


def _read(text: str) -> _Reader:
    reader = _Reader(caniemail()["features"])
    reader.feed(text)
    reader.close()
    return reader


def features_of(text: str) -> dict[str, int]:
    """``{slug: count}`` of the features the HTML ``text`` uses."""
    return {slug: count for slug, count in _read(text).found.items() if count}


def _warning(slug: str, found: int, data: dict[str, Any]) -> dict[str, Any]:
    if slug == "html-script":
        return {"Slug": slug, "Title": "<script> element", "Description": "JavaScript is not supported in any email client.",
                "URL": "", "Category": "html", "Tags": [], "Keywords": "", "Results": [], "NotesByNumber": {},
                "Score": {"Found": found, "Supported": 0.0, "Partial": 0.0, "Unsupported": 100.0}}
    feature = data["features"][slug]
    families, platforms = data["nicenames"]["family"], data["nicenames"]["platform"]
    results, tally = [], Counter()
    for family, by_platform in feature["stats"].items():
        for platform, by_version in by_platform.items():
            for version, support in by_version.items():
                kind = {"y": "yes", "n": "no"}.get(support, "partial")
                note = _NOTE.search(support)
                tally[kind] += 1
                results.append({"Name": f"{families.get(family, family)} {platforms.get(platform, platform)} ({version})",
                                "Platform": platform, "Family": family, "Version": version, "Support": kind,
                                "NoteNumber": note.group(1) if note and kind == "partial" else ""})
    total = sum(tally.values()) or 1
    return {"Slug": slug, "Title": feature["title"], "Description": _markdown(feature["description"]),
            "URL": feature["url"], "Category": feature["category"], "Tags": feature["tags"] or [],
            "Keywords": feature.get("keywords") or "", "Results": results,
            "NotesByNumber": {number: _markdown(note) for number, note in (feature.get("notes_by_num") or {}).items()},
            "Score": {"Found": found, "Supported": tally["yes"] / total * 100,
                      "Partial": tally["partial"] / total * 100, "Unsupported": tally["no"] / total * 100}}


def _markdown(text: str) -> str:
    """caniemail's Markdown (code spans, links) as escaped HTML."""
    text = html.escape(text or "", quote=True)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2" target="_blank">\1</a>', text)


def _platforms(data: dict[str, Any]) -> dict[str, list[str]]:
    platforms: dict[str, set[str]] = {}
    for feature in data["data"]:
        for family, by_platform in feature["stats"].items():
            for platform in by_platform:
                platforms.setdefault(platform, set()).add(data["nicenames"]["family"].get(family, family))
    return {platform: sorted(families) for platform, families in platforms.items()}


def check_html(text: str) -> dict[str, Any]:
    """Mailpit's ``HTMLCheckResponse`` for the HTML ``text``."""
    data = caniemail()
    reader = _read(text)
    nodes = reader.nodes if reader.found["html-body"] else reader.body_nodes
    warnings = [_warning(slug, count, data) for slug, count in reader.found.items() if count]
    weight = (lambda share, found: share * found / nodes) if nodes else (lambda share, found: 0.0)
    partial = max((weight(w["Score"]["Partial"], w["Score"]["Found"]) for w in warnings), default=0.0)
    unsupported = max((weight(w["Score"]["Unsupported"], w["Score"]["Found"]) for w in warnings), default=0.0)
    warnings.sort(key=lambda w: weight(w["Score"]["Unsupported"] + w["Score"]["Partial"], w["Score"]["Found"]),
                  reverse=True)
    tests = len(HTML_FEATURES) + 2 + len(data["features"])
    return {"Warnings": warnings, "Platforms": _platforms(data),
            "Total": {"Tests": tests, "Nodes": nodes, "Supported": 100 - partial - unsupported,
                      "Partial": partial, "Unsupported": unsupported}}
