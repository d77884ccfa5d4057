"""Invitation cost: DreamFactory creates with and without send_invite=true, against a local SMTP
receiver (aiosmtpd from the test venv), sequential, one keep-alive client.

Usage: python bench/invite.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD [N]
Prints p50/p99/mean in ms for: create (no mail), create with invitation (SMTP round trip),
and the healthz baseline.
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse


def main():
    base, email, password = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    conn = http.client.HTTPConnection(urllib.parse.urlparse(base).netloc, timeout=60)

    def call(method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-DreamFactory-Session-Token"] = token
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        res = conn.getresponse()
        data = res.read()
        return res.status, data

    status, data = call("POST", "/api/v2/system/admin/session", {"email": email, "password": password})
    assert status == 200, data
    token = json.loads(data)["session_token"]

    def timed(label, make):
        times = []
        for i in range(n):
            method, path, body = make(i)
            t = time.perf_counter()
            status, data = call(method, path, body, token)
            times.append((time.perf_counter() - t) * 1000)
            assert status in (200, 201), (status, data)
        times.sort()
        p99 = times[min(n - 1, int(n * 0.99))]
        print(f"| {label} | {statistics.median(times):.2f} | {p99:.2f} | {statistics.mean(times):.2f} |")

    stamp = int(time.time())
    print(f"| DreamFactory, {n} sequential requests | p50 ms | p99 ms | mean ms |")
    print("|---|---|---|---|")
    timed("/healthz (baseline)", lambda i: ("GET", "/healthz", None))
    timed("create one user, no mail", lambda i: (
        "POST", "/api/v2/system/user", [{"email": f"plain{stamp}-{i}@bench.example"}]))
    timed("create one user with send_invite=true (SMTP to a local receiver)", lambda i: (
        "POST", "/api/v2/system/user?send_invite=true", [{"email": f"inv{stamp}-{i}@bench.example"}]))


if __name__ == "__main__":
    main()
