"""The catcher's HTML check (issue 20, item 9): ``GET /api/v1/message/{ID}/html-check``,
Mailpit's ``HTMLCheckResponse`` from the shipped caniemail.com data, over real HTTP.

(Named to sort after test_catcher_mailpit_extra.py, whose ``mailpit_client`` it uses.)
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from smtp_core.devserver.web import htmlcheck

from catcher_http import call, get_json

HTML = ('<html><head><style>@media (max-width: 600px) { a:hover { color: red } }</style></head><body>'
        '<div style="display:flex; border-radius: 4px">one</div><div>two</div>'
        '<img src="https://example.com/a.webp"><img src="data:image/png;base64,AA==">'
        '<form><input type="text"></form><script>alert(1)</script></body></html>')


def send(catcher, **parts) -> str:
    request = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], "Subject": "check", **parts}
    status, _, body = call(catcher, "POST", "/api/v1/send", request)
    assert status == 200, body
    return json.loads(body)["ID"]


def expected_score(slug: str, found: int) -> dict:
    """The share of client versions the data gives each kind of support, counted here independently."""
    tally = Counter()
    for by_platform in htmlcheck.caniemail()["features"][slug]["stats"].values():
        for by_version in by_platform.values():
            for support in by_version.values():
                tally["Supported" if support == "y" else "Unsupported" if support == "n" else "Partial"] += 1
    total = sum(tally.values())
    return {"Found": found, **{kind: tally[kind] / total * 100 for kind in ("Supported", "Partial", "Unsupported")}}


def test_html_check_reports_each_feature_used_with_caniemails_scores(catcher):
    result = get_json(catcher, f"/api/v1/message/{send(catcher, HTML=HTML, Text='plain')}/html-check")
    assert set(result) == {"Warnings", "Platforms", "Total"}
    found = {warning["Slug"]: warning["Score"]["Found"] for warning in result["Warnings"]}
    assert found == {"html-body": 1, "html-style": 1, "html-div": 2, "html-img": 2, "html-form": 1,
                     "html-input-text": 1, "html-script": 1, "css-display": 1, "css-display-flex": 1,
                     "css-border-radius": 1, "css-at-media": 1, "css-pseudo-class-hover": 1,
                     "image-webp": 1, "image-base64": 1}
    warnings = {warning["Slug"]: warning for warning in result["Warnings"]}
    flex = warnings["css-display-flex"]
    assert flex["Score"] == pytest.approx(expected_score("css-display-flex", 1))
    assert flex["URL"] == "https://www.caniemail.com/features/css-display-flex/" and flex["Category"] == "css"
    assert set(flex) == {"Slug", "Title", "Description", "URL", "Category", "Tags", "Keywords", "Results",
                         "NotesByNumber", "Score"}
    gmail_ios = [r for r in flex["Results"] if r["Family"] == "gmail" and r["Platform"] == "ios"]
    assert gmail_ios and gmail_ios[0]["Name"].startswith("Gmail iOS (") and gmail_ios[0]["Support"] in (
        "yes", "no", "partial")
    assert warnings["html-script"]["Score"] == {"Found": 1, "Supported": 0.0, "Partial": 0.0, "Unsupported": 100.0}
    assert "Gmail" in result["Platforms"]["android"]
    nodes = result["Total"]["Nodes"]
    assert nodes == 9  # style, body, 2 div, 2 img, form, input, script; not html or head
    weighted = [(w["Score"]["Unsupported"] + w["Score"]["Partial"]) * w["Score"]["Found"] / nodes
                for w in result["Warnings"]]
    assert weighted == sorted(weighted, reverse=True)  # worst first
    unsupported = max(w["Score"]["Unsupported"] * w["Score"]["Found"] / nodes for w in result["Warnings"])
    partial = max(w["Score"]["Partial"] * w["Score"]["Found"] / nodes for w in result["Warnings"])
    assert result["Total"]["Unsupported"] == pytest.approx(unsupported)
    assert result["Total"]["Supported"] == pytest.approx(100 - unsupported - partial)


def test_a_fragment_counts_no_body_and_a_description_is_escaped_html():
    result = htmlcheck.check_html('<p style="opacity: 0.5">x</p>')
    assert result["Total"]["Nodes"] == 1
    assert {w["Slug"] for w in result["Warnings"]} == {"css-opacity", "html-p"}
    assert htmlcheck._markdown("Use `<b>` [here](https://x.example/)") == \
        'Use <code>&lt;b&gt;</code> <a href="https://x.example/" target="_blank">here</a>'


def test_html_check_of_text_only_mail_and_of_unknown_ids(catcher):
    message_id = send(catcher, Text="only text")
    assert call(catcher, "GET", f"/api/v1/message/{message_id}/html-check")[::2] == (
        400, b"message does not contain HTML")
    assert call(catcher, "GET", "/api/v1/message/nosuchid/html-check")[::2] == (404, b"404 page not found")


def test_mailpit_api_client_runs_the_html_check(catcher, mailpit_client):  # noqa: F811
    send(catcher, HTML=HTML)
    answer = mailpit_client(catcher, "htmlCheck", "latest")
    assert answer.get("result") == get_json(catcher, "/api/v1/message/latest/html-check"), answer


def test_the_data_is_dated_and_licensed():
    data = htmlcheck.caniemail()
    assert data["last_update_date"] and len(data["features"]) > 200
    licence = htmlcheck.DATA_FILE.with_name("caniemail.LICENSE").read_text()
    assert licence.startswith("MIT License")


def test_attribute_selectors_count_each_element_once():
    found = htmlcheck.features_of('<a href="#top" target="_blank" lang="en">x</a><a href="MAILTO:x@example.com">m</a>'
                                  '<input type="checkbox"><input type="TEXT"><h1>a</h1><h2 dir="rtl">b</h2>')
    assert found == {"html-anchor-links": 1, "html-target": 1, "html-lang": 1, "html-mailto-links": 1,
                     "html-input-checkbox": 1, "html-input-text": 1, "html-h1-h6": 2, "html-dir": 1}
