"""Benchmark of the catcher's page in Chromium: time to the first painted
list at 10,000 stored messages, against a mailbox of 10, side by side.

``python -m bench.catcher_page [--stored N] [--rounds R]`` fills two Maildirs
through the store (``--stored`` and 10 messages), serves each with its own
``smtp-devserver`` process, and loads the page in headless Chromium
(``/usr/bin/chromium``, Playwright) in alternating rounds, each in a fresh
browser context (nothing cached).  Per load it takes, from the start of the
navigation: the first contentful paint, and the moment the first list row
is in the document (a MutationObserver installed before the page's own
scripts).  Prints the paired medians and their ratio; writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from .catcher import Catcher, fill

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SMALL = 10

# Runs before the page's scripts: notes when the first row appears.
_WATCH_ROWS = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('#messages .row')) {
    window.__firstRow = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def load_once(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.add_init_script(_WATCH_ROWS)
        page.goto(url)
        page.wait_for_function("() => window.__firstRow !== undefined", timeout=60_000)
        return page.evaluate("""() => ({
            firstRow: window.__firstRow,
            fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || NaN,
            rows: document.querySelectorAll('#messages .row').length,
        })""")
    finally:
        context.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=10000, help="messages in the big mailbox")
    parser.add_argument("--rounds", type=int, default=7, help="page loads of each mailbox (alternating)")
    arguments = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="catcher-page-bench-") as scratch:
        work = Path(scratch)
        sizes = {"big": arguments.stored, "small": SMALL}
        for name, count in sizes.items():
            rate = fill(work / name, count)
            print(f"filled {count} messages ({rate:.0f}/s)", file=sys.stderr)
        results: dict[str, dict[str, list[float]]] = {name: {"firstRow": [], "fcp": [], "rows": []} for name in sizes}
        with Catcher(work / "big", work / "certs") as big, Catcher(work / "small", work / "certs") as small, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                servers = {"big": big, "small": small}
                for _ in range(arguments.rounds):
                    for name, server in servers.items():
                        figures = load_once(browser, f"http://127.0.0.1:{server.http_port}/")
                        for key in ("firstRow", "fcp", "rows"):
                            results[name][key].append(figures[key])
            finally:
                browser.close()
    print("| mailbox | first list row, median ms | first contentful paint, median ms | rows drawn |")
    print("|---|---:|---:|---:|")
    for name, count in sizes.items():
        print(f"| {count:,} messages | {statistics.median(results[name]['firstRow']):.0f} | "
              f"{statistics.median(results[name]['fcp']):.0f} | {max(results[name]['rows'])} |")
    ratio = statistics.median(b / s for b, s in zip(results["big"]["firstRow"], results["small"]["firstRow"]))
    print(f"\npaired median ratio (first row, {arguments.stored:,} / {SMALL}): {ratio:.2f} "
          f"over {arguments.rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
