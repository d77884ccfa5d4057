"""Times sequential requests from one keep-alive client: p50, p99 and mean in ms.

Usage: python3 search_timing.py BASE_URL API_KEY LABEL TERM (a word in 1% of the names, see
bench/lib.sh). Standard library only.
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse

WARMUP = 5
RUNS = 60


def main():
    base, key, label, term = sys.argv[1:5]
    host = urllib.parse.urlparse(base).netloc
    conn = http.client.HTTPConnection(host, timeout=60)
    headers = {"Authorization": f"Bearer {key}"}

    def get(path):
        conn.request("GET", path, headers=headers)
        res = conn.getresponse()
        body = res.read()
        if res.status != 200:
            raise SystemExit(f"{path}: {res.status} {body[:200]!r}")
        return body

    cases = [
        ("/healthz (baseline)", "/healthz"),
        ("list, page 1 of 20, no filter", "/v1/users?limit=20"),
        ("list, page 1000 of 20, no filter", "/v1/users?limit=20&page=1000"),
        (f"search '{term}' (1% of users)", f"/v1/users?limit=20&search={term}"),
        ("search 'user123456@' (one user)", "/v1/users?limit=20&search=user123456%40"),
        ("search 'zq' (2 characters, no match)", "/v1/users?limit=20&search=zq"),
    ]
    print(f"| {label} | p50 ms | p99 ms | mean ms | total reported |")
    print("|---|---|---|---|---|")
    for name, path in cases:
        for _ in range(WARMUP):
            get(path)
        times = []
        body = b""
        for _ in range(RUNS):
            t = time.perf_counter()
            body = get(path)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        total = ""
        if path.startswith("/v1/"):
            total = str(json.loads(body)["pagination"]["total"])
        print(f"| {name} | {statistics.median(times):.2f} | {p99:.2f} | "
              f"{statistics.mean(times):.2f} | {total} |")


if __name__ == "__main__":
    main()
