"""Times SCIM requests next to the generic dialect's GET of one user, from one keep-alive
client, sequentially: p50, p99 and mean in ms, and the p50 as a ratio to the generic GET's.

Usage: python3 scim_timing.py BASE_URL GENERIC_KEY SCIM_KEY LABEL N (N users seeded, see
bench/scim.sh). Standard library only. Every answer is checked (status, and for the lookups
that it found the one user).
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
    base, generic, scim, label, n = sys.argv[1:6]
    n = int(n)
    host = urllib.parse.urlparse(base).netloc
    conn = http.client.HTTPConnection(host, timeout=60)
    # Users in the middle of the table: one with only an address, one SCIM-provisioned.
    plain = n // 2 + 1 if (n // 2 + 1) % 10 else n // 2 + 3
    provisioned = (n // 2) // 10 * 10
    flip = {"i": 0}

    def call(method, path, key, body=None, expect=200, found=None):
        headers = {"Authorization": f"Bearer {key}"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/scim+json"
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        raw = res.read()
        if res.status != expect:
            raise SystemExit(f"{method} {path}: {res.status} {raw[:300]!r}")
        if found is not None and json.loads(raw)["totalResults"] != found:
            raise SystemExit(f"{path}: {raw[:300]!r}")

    def q(filter_):
        return "/scim/v2/Users?filter=" + urllib.parse.quote(filter_)

    def patch_title():
        # A real write every time: the title alternates.
        flip["i"] += 1
        ops = {"Operations": [{"op": "replace", "path": "title", "value": f"Title {flip['i'] % 2}"}]}
        call("PATCH", f"/scim/v2/Users/{plain}", scim, ops)

    def patch_entra():
        flip["i"] += 1
        ops = {"Operations": [
            {"op": "Replace", "path": "displayName", "value": f"Person {flip['i'] % 2}"},
            {"op": "Replace", "path": "name.givenName", "value": f"Given {flip['i'] % 2}"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
             "value": f"Dept {flip['i'] % 2}"},
        ]}
        call("PATCH", f"/scim/v2/Users/{provisioned}", scim, ops)

    cases = [
        ("/healthz", lambda: call("GET", "/healthz", generic)),
        ("generic GET /v1/users/{id} (baseline)", lambda: call("GET", f"/v1/users/usr_{plain}", generic)),
        ("SCIM GET /Users/{id}", lambda: call("GET", f"/scim/v2/Users/{plain}", scim)),
        ('SCIM filter userName eq "<address>"',
         lambda: call("GET", q(f'userName eq "user{plain}@bench.example"'), scim, found=1)),
        ('SCIM filter userName eq "<login name>"',
         lambda: call("GET", q(f'userName eq "login{provisioned}"'), scim, found=1)),
        ('SCIM filter externalId eq "<id>"',
         lambda: call("GET", q(f'externalId eq "ext-{provisioned}"'), scim, found=1)),
        ('SCIM filter userName eq "<nobody>" (Entra\'s Test Connection)',
         lambda: call("GET", q('userName eq "nobody@bench.example"'), scim, found=0)),
        ("SCIM PATCH title (one replace)", patch_title),
        ("SCIM PATCH, Entra's three Replace ops", patch_entra),
    ]
    results = []
    for name, run in cases:
        for _ in range(WARMUP):
            run()
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        results.append((name, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))],
                        statistics.mean(times)))
    baseline = results[1][1]
    print(f"| {label}, {n:,} users | p50 ms | p99 ms | mean ms | p50 / generic GET |")
    print("|---|---|---|---|---|")
    for name, p50, p99, mean in results:
        print(f"| {name} | {p50:.2f} | {p99:.2f} | {mean:.2f} | {p50 / baseline:.2f} |")


if __name__ == "__main__":
    main()
