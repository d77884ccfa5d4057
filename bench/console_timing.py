"""Times the console's users page next to the generic dialect's search, request by request in
turns (console, generic, console, ...), so that both see the same machine: p50 and p99 in ms
and the console's p50 as a ratio of the generic one.

Usage: python3 console_timing.py BASE_URL API_KEY ADMIN_EMAIL ADMIN_PASSWORD LABEL TERM
(TERM: a word in 1% of the names, see bench/lib.sh). Standard library only.
"""

import http.client
import statistics
import sys
import time
import urllib.parse

WARMUP = 5
RUNS = 100


def pct(times, q):
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * q))]


def main():
    base, key, email, password, label, term = sys.argv[1:7]
    host = urllib.parse.urlparse(base).netloc
    conn = http.client.HTTPConnection(host, timeout=120)
    body = urllib.parse.urlencode({"email": email, "password": password})
    conn.request("POST", "/console/login", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    res = conn.getresponse()
    res.read()
    cookie = res.getheader("Set-Cookie", "").split(";")[0]
    if res.status != 303 or not cookie.startswith("usergate_console="):
        raise SystemExit(f"console sign-in: {res.status}")

    def get(path, headers):
        conn.request("GET", path, headers=headers)
        res = conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise SystemExit(f"{path}: {res.status} {data[:200]!r}")
        return data

    console = {"Cookie": cookie}
    generic = {"Authorization": f"Bearer {key}"}
    cases = [
        (f"search '{term}' (1% of users), exact total",
         f"/console/users?q={term}", f"/v1/users?limit=50&search={term}"),
        ("search 'user123456@' (one user)",
         "/console/users?q=user123456%40", "/v1/users?limit=50&search=user123456%40"),
        (f"search '{term}', page 5",
         f"/console/users?q={term}&page=5", f"/v1/users?limit=50&search={term}&page=5"),
        ("no filter, page 1 (count of all)", "/console/users", "/v1/users?limit=50"),
    ]
    print(f"| {label}: 50 a page | console p50 | console p99 | generic p50 | generic p99 | p50 ratio |")
    print("|---|---|---|---|---|---|")
    for name, page, api in cases:
        for _ in range(WARMUP):
            get(page, console)
            get(api, generic)
        c, g = [], []
        for _ in range(RUNS):
            t = time.perf_counter()
            get(page, console)
            c.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            get(api, generic)
            g.append((time.perf_counter() - t) * 1000)
        ratio = statistics.median(c) / statistics.median(g)
        print(f"| {name} | {statistics.median(c):.2f} | {pct(c, 0.99):.2f} | "
              f"{statistics.median(g):.2f} | {pct(g, 0.99):.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
