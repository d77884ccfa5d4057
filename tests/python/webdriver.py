"""A minimal W3C WebDriver client over Debian's chromedriver and headless Chromium, with the
standard library only (the browser tests need nothing else).

    with chromium(window="1280,1000") as d:
        d.go(url)
        d.click("button.authorize")
"""

import contextlib
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
# Chromium's flags for a closed network (no background fetches, no Google hosts looked up).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.loads(res.read() or b"{}").get("value")

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css):
        found = self.s("POST", "/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def find_in(self, element, css):
        found = self.s("POST", f"/element/{element}/element", {"using": "css selector", "value": css})
        return found[ELEMENT]

    def text_of(self, element):
        return self.s("GET", f"/element/{element}/text")

    def click_on(self, element):
        self.s("POST", f"/element/{element}/click", {})

    def text(self, css):
        return self.s("GET", f"/element/{self.find(css)}/text")

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def screenshot(self, path):
        """Saves what the window shows as a PNG."""
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def cookies(self):
        """The cookies of the current page (HttpOnly ones included), by name."""
        return {c["name"]: c for c in self.s("GET", "/cookie")}

    def value(self, css):
        return self.s("GET", f"/element/{self.find(css)}/property/value")

    def clear(self, css):
        self.s("POST", f"/element/{self.find(css)}/clear", {})

    def url(self):
        return self.s("GET", "/url")

    def script(self, source, *args):
        return self.s("POST", "/execute/sync", {"script": source, "args": list(args)})

    def wait(self, what, condition, timeout=20):
        """Polls `condition()` until it is true; WebDriver's "no such element" counts as not
        yet. Fails with `what` after `timeout` seconds."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = condition()
                if last:
                    return last
            except urllib.error.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@contextlib.contextmanager
def chromium(window="1280,1000"):
    port = free_port()
    proc = subprocess.Popen([CHROMEDRIVER, f"--port={port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = Driver(port)
    try:
        for _ in range(100):
            try:
                d.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        profile = tempfile.mkdtemp(prefix="usergate-chromium-")
        args = FLAGS + [f"--user-data-dir={profile}", f"--window-size={window}"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        d.session = d.call("POST", "/session", caps)["sessionId"]
        yield d
    finally:
        if d.session:
            try:
                d.s("DELETE", "")
            except OSError:
                pass
        proc.terminate()
        proc.wait(timeout=10)
