"""Look at the built site in a real browser: screenshots, and every image and figure loaded.

Serves ``docs/_build/html`` on localhost, opens the home page, one lecture chapter, one
how-to page with an interactive figure and one API page in headless Chromium (Debian's
``chromium`` package, driven by Playwright), saves a screenshot of each and checks that
every ``<img>`` on them loaded (a natural width above 0) and that every Plotly figure drew.
Exits 1 naming what failed.

    python -m sphinx -W -b html docs docs/_build/html
    python scripts/site_screenshots.py --out site-shots
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import pathlib
import shutil
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
# name: (page, what the screenshot shows: the first element matching, or the top)
PAGES = {
    "home": ("index.html", None),
    "lecture": ("lecture/02_gradient_descent.html", ".cell_output img"),
    "interactive": ("lecture/05_loss_surfaces.html", ".plotly-graph-div"),
    "api": ("api/generated/fastnn.loss_surface.html", None),
}
# The flags Chromium needs on a machine without a network or a screen.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IMAGES_LOADED = """() => Array.from(document.images).map(img => ({
    src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0}))"""
PLOTLY_DRAWN = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(div =>
    div.querySelector('.main-svg') !== null)"""


@contextlib.contextmanager
def serve(folder: pathlib.Path):
    """An HTTP server of ``folder`` on a free localhost port, for the ``with`` block."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def check_pages(site: pathlib.Path, out: pathlib.Path, browser_path: str) -> list[str]:
    """Screenshot every page of :data:`PAGES` into ``out``; the problems found."""
    from playwright.sync_api import sync_playwright

    problems = []
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, (address, shown) in PAGES.items():
            response = page.goto(f"{base}/{address}", wait_until="networkidle")
            if response is None or response.status != 200:
                problems.append(f"{name}: {address} answered {response and response.status}")
                continue
            page.wait_for_timeout(500)  # Plotly draws after the load event
            if shown is not None:  # a figure, not the page's top of text and code
                figures = page.locator(shown)
                if not figures.count():
                    problems.append(f"{name}: nothing matches {shown!r}")
                else:
                    figures.first.scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"{name}.png"), full_page=False)
            images = page.evaluate(IMAGES_LOADED)
            broken = [image["src"] for image in images if not image["loaded"]]
            problems += [f"{name}: image {src} did not load" for src in broken]
            drawn = page.evaluate(PLOTLY_DRAWN)
            problems += [f"{name}: Plotly figure {k} not drawn" for k, ok in enumerate(drawn)
                         if not ok]  # fmt: skip
            title = page.title()
            print(f"{name:<12} {address:<42} {len(images)} images, {len(drawn)} Plotly "
                  f"figures, title {title!r}")  # fmt: skip
        browser.close()
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "docs" / "_build" / "html"),
                        help="the built site (default docs/_build/html)")  # fmt: skip
    parser.add_argument("--out", default="site-screenshots", help="folder for the PNGs")
    parser.add_argument("--browser", default=shutil.which("chromium") or "/usr/bin/chromium",
                        help="the Chromium executable (default: chromium on PATH)")  # fmt: skip
    args = parser.parse_args(argv)
    site, out = pathlib.Path(args.site), pathlib.Path(args.out)
    if not (site / "index.html").exists():
        print(f"site_screenshots: no built site at {site} (build it first)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    problems = check_pages(site, out, args.browser)
    for problem in problems:
        print(f"site_screenshots: {problem}", file=sys.stderr)
    print(f"screenshots in {out}/: {', '.join(f'{name}.png' for name in PAGES)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
