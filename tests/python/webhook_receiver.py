"""A webhook receiver for the tests: verifies every delivery with the Standard Webhooks
reference implementation (the Python `standardwebhooks` package, independent of the server's
Rust crate) and records it.

    python webhook_receiver.py PORT SECRET

POST /anything: verify the signature (401 when it does not verify), record
{"id", "type", "body"} and answer 204. GET /received: what was recorded, in arrival order,
signature failures included as {"invalid": true}. Prints "ready" once listening.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

PORT = int(sys.argv[1])
HOOK = Webhook(sys.argv[2])
LOCK = threading.Lock()
RECEIVED = []


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            HOOK.verify(body, headers)
        except Exception as e:  # any failure to verify is a refused delivery
            with LOCK:
                RECEIVED.append({"invalid": True, "error": str(e)})
            self.send_response(401)
            self.end_headers()
            return
        payload = json.loads(body)
        with LOCK:
            RECEIVED.append(
                {"id": headers["webhook-id"], "type": payload["type"], "body": payload}
            )
        self.send_response(204)
        self.end_headers()

    def do_GET(self):
        with LOCK:
            out = json.dumps(RECEIVED).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
