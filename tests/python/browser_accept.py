"""Fills in usergate's invitation page in headless Chromium, like a person would.

Usage: python browser_accept.py URL PASSWORD
Starts Debian's chromedriver on a free port, opens URL in headless Chromium (a phone-sized
window), types the password twice, presses the button, and waits for the page that says the
password is set. Speaks the W3C WebDriver protocol with the standard library only. Prints the
final page's heading; exits non-zero on any failure.
"""

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


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

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def text(self, css):
        return self.s("GET", f"/element/{self.find(css)}/text")


def main():
    url, password = sys.argv[1:3]
    port = free_port()
    driver_proc = subprocess.Popen([CHROMEDRIVER, f"--port={port}"],
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
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=390,844"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        d.session = d.call("POST", "/session", caps)["sessionId"]
        d.s("POST", "/url", {"url": url})
        heading = d.text("h1")
        assert heading == "Accept your invitation", heading
        # A person types the password twice and presses the button.
        for field in ("#password", "#password_confirm"):
            d.s("POST", f"/element/{d.find(field)}/value", {"text": password})
        d.s("POST", f"/element/{d.find('button[type=submit]')}/click", {})
        # The click starts a navigation: until the next page is in, the old heading may be
        # there, or no heading at all (WebDriver answers "no such element").
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                heading = d.text("h1")
            except urllib.error.HTTPError:
                heading = None
            if heading not in (None, "Accept your invitation"):
                break
            time.sleep(0.1)
        assert heading == "Your password is set", (heading, d.text("main"))
        print(heading)
    finally:
        if d.session:
            try:
                d.s("DELETE", "")
            except OSError:
                pass
        driver_proc.terminate()
        driver_proc.wait(timeout=10)


if __name__ == "__main__":
    main()
