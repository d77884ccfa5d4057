"""A page on another origin calls usergate from headless Chromium, as a single-page app would.

Usage: python browser_cors.py PAGE_PORT USERGATE_URL PLAN_JSON
Serves a blank page at http://127.0.0.2:PAGE_PORT/ (another origin than USERGATE_URL), opens it
in Chromium, and for each entry of PLAN_JSON ({"name", "method", "path", "headers", "body"?})
runs `fetch(USERGATE_URL + path)` from the page: the browser sends its preflight and its Origin
and lets the page read the answer only if usergate's CORS headers allow it. Prints one JSON
object {name: status, or "blocked" when the browser refused the page the answer}.
"""

import http.server
import json
import sys
import threading

from webdriver import chromium


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>app</title><p>app</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


FETCH = """
const [url, plan, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const out = {};
for (const p of plan) {
  try {
    const init = {method: p.method, headers: p.headers};
    if (p.body !== undefined) init.body = JSON.stringify(p.body);
    const r = await fetch(url + p.path, init);
    await r.text();
    out[p.name] = {status: r.status, requestId: r.headers.get("x-request-id")};
  } catch (e) {
    out[p.name] = "blocked";
  }
}
done(out);
"""


def main():
    port, url, plan = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    server = http.server.ThreadingHTTPServer(("127.0.0.2", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with chromium() as d:
            d.go(f"http://127.0.0.2:{port}/")
            d.wait("the page", lambda: d.script("return document.title") == "app")
            result = d.s("POST", "/execute/async", {"script": FETCH, "args": [url, plan]})
            print(json.dumps(result))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
