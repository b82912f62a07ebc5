"""Open the built site and a deck in headless Chromium, check them, save screenshots (not CI).

    python tools/build_site.py && python tools/screenshots.py            # -> build/screenshots/
    python tools/screenshots.py --site build/site/html --out /tmp/shots

Needs Debian's ``chromium`` (``apt-get install chromium``). The browser is driven through
its DevTools protocol (``websocket-client`` comes with JupyterLab) and gets a proxy that
answers nothing, so whatever a page would fetch from the network (a CDN's script, font or
MathJax) fails: the screenshots show the site as it works offline. For each page the script
prints what it found in the page (figures, audio players, collapsed solutions, typeset
maths, deck slides) and scrolls to the part it photographs. Look at the screenshots too.

    python tools/screenshots.py --lab    # JupyterLab's first start, with and without .jupyter/

``--lab`` starts JupyterLab twice on the notebooks as a first-time user would (empty user
settings), once plainly and once as the README's command does (``JUPYTER_CONFIG_PATH=.jupyter``),
and says whether the "official Jupyter news" prompt appears (needs the ``lab`` extra).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (file name, page under the site, CSS selector scrolled to the top or None, window height)
SHOTS = [
    ("index.png", "index.html", None, 1400),
    ("nb07_top_maths.png", "notebooks/07_intermediate_fusion.html", None, 1100),
    ("nb07_tensor_maths.png", "notebooks/07_intermediate_fusion.html",
     "#take-the-outer-product-tensor-fusion", 1000),
    ("nb07_figure.png", "notebooks/07_intermediate_fusion.html",
     "#train-every-method-on-the-frozen-encoders img", 1000),
    ("nb07_solutions.png", "notebooks/07_intermediate_fusion.html", "#exercises", 1300),
    ("nb00_audio.png", "notebooks/00_welcome.html", "#listen-to-the-audio", 1300),
    ("deck07_title.png", "slides/07_intermediate_fusion.slides.html", None, 800),
    ("deck07_slide5.png", "slides/07_intermediate_fusion.slides.html#/5", None, 800),
    ("deck07_maths.png", "slides/07_intermediate_fusion.slides.html#/7", None, 800),
    ("deck07_figure.png", "slides/07_intermediate_fusion.slides.html#/13/2", None, 800),
]  # fmt: skip

#: What the script counts in each page (JavaScript expressions).
CHECKS = {
    "figures": "document.querySelectorAll('main img, .reveal img').length",
    "audio players": "document.querySelectorAll('audio').length",
    "playable (duration > 0)": (
        "[...document.querySelectorAll('audio')].filter(a => a.duration > 0).length"
    ),
    "collapsed solutions": (
        "[...document.querySelectorAll('details')].filter(d => !d.open && "
        "d.textContent.includes('Show the solution')).length"
    ),
    "typeset maths": "document.querySelectorAll('mjx-container').length",
    "untypeset $": "document.querySelectorAll('.math:not(:has(mjx-container))').length",
    "deck slides": "window.Reveal ? Reveal.getTotalSlides() : 0",
    "remote resources": (
        "performance.getEntriesByType('resource').filter(r => /^https?:/.test(r.name) "
        "&& !r.name.startsWith(location.origin)).length"
    ),
}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("headless Chromium is needed: apt-get install chromium")


class Browser:
    """Just enough of the DevTools protocol: navigate, evaluate, screenshot."""

    def __init__(self, width: int = 1280):
        import websocket  # websocket-client, installed with JupyterLab

        self.profile = tempfile.mkdtemp(prefix="mmtutor-chromium-")
        self.process = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--proxy-server=127.0.0.1:9", f"--window-size={width},1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        port = None
        for line in self.process.stderr:
            if match := re.search(r"ws://127\.0\.0\.1:(\d+)/", line):
                port = match.group(1)
                break
        if port is None:
            raise SystemExit("Chromium did not start its DevTools server")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as reply:
            page = next(t for t in json.load(reply) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=120)
        self.width, self.next_id = width, 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def open(self, url: str, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.call("Page.navigate", url=url)
        for _ in range(100):
            time.sleep(0.2)
            if self.evaluate("document.readyState") == "complete":
                break
        # MathJax typesets after the page has loaded
        self.evaluate("window.MathJax?.startup?.promise?.then(() => true) ?? true")
        time.sleep(1.0)

    def screenshot(self, out: Path, selector: str | None) -> None:
        if selector:
            self.evaluate(
                f"document.querySelector({json.dumps(selector)}).scrollIntoView(); "
                "window.scrollBy(0, -70); true"
            )
            time.sleep(0.5)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


def lab_shots(browser: Browser, out: Path) -> None:
    """JupyterLab's first start with and without the repository's settings (``.jupyter/``)."""
    for port, name, config in [(8897, "lab_default.png", None), (8896, "lab_repo.png", ".jupyter")]:
        home = Path(tempfile.mkdtemp(prefix="mmtutor-lab-"))
        env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_PATH"}
        env |= {"JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),  # a first start
                "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime")}  # fmt: skip
        if config:
            env["JUPYTER_CONFIG_PATH"] = config
        command = [sys.executable, "-m", "jupyter", "lab", "notebooks", "--no-browser",
                   f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password="]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/lab"
            for _ in range(240):
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.5)
            browser.open(url, 900)
            time.sleep(10)  # the prompt comes a few seconds after the page
            prompt = browser.evaluate("document.body.innerText.includes('official Jupyter news')")
            browser.screenshot(out / name, None)
            print(
                f"{out / name} <- jupyter lab (JUPYTER_CONFIG_PATH={config}): news prompt {prompt}"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "site" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "screenshots")
    parser.add_argument("--lab", action="store_true", help="JupyterLab's first start instead")
    args = parser.parse_args(argv)
    if args.lab:
        args.out.mkdir(parents=True, exist_ok=True)
        browser = Browser()
        try:
            lab_shots(browser, args.out)
        finally:
            browser.close()
        return 0
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"no site at {args.site}: run python tools/build_site.py first")
    args.out.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        for name, page, selector, height in SHOTS:
            page_path, _, anchor = page.partition("#")
            url = (args.site / page_path).resolve().as_uri() + (f"#{anchor}" if anchor else "")
            browser.open(url, height)
            found = {what: browser.evaluate(js) for what, js in CHECKS.items()}
            browser.screenshot(args.out / name, selector)
            counts = ", ".join(f"{what} {n}" for what, n in found.items() if n)
            print(f"{args.out / name} <- {page}: {counts or 'text only'}")
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
