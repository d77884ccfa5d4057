"""Explores usergate's API documentation in headless Chromium, like a person would.

Usage: python browser_swagger.py BASE_URL PLAN_JSON
PLAN_JSON is a list of {"name", "title", "scheme", "credential", "tag", "operation"}: for each,
the script picks the document `name` in Swagger UI's "Select a definition" list at
BASE_URL/docs/, waits for its title, opens "Authorize", enters `credential` for the security
scheme `scheme`, expands the operation, presses "Try it out" and "Execute", and checks that the
answer shown is a 200. Prints one line per document; exits non-zero on any failure.
"""

import json
import sys

from webdriver import chromium


def explore(d, item):
    name = item["name"]
    # Switch documents the way a person does: the definition list in the top bar.
    options = d.find_all(".topbar select option")
    chosen = [o for o in options if d.text_of(o).strip() == name]
    assert chosen, f"{name} is not in the definition list"
    d.click(".topbar select")
    d.click_on(chosen[0])
    d.wait(f"the {name} document", lambda: d.text(".information-container .title").startswith(item["title"]))
    # Authorize: the document must offer its security scheme.
    d.click(".auth-wrapper button.authorize")
    container = d.wait(f"the {item['scheme']} scheme in the Authorize dialog", lambda: next(
        (c for c in d.find_all(".modal-ux .auth-container")
         if d.text_of(c).strip().startswith(item["scheme"])), None))
    field = d.find_in(container, "input")
    d.s("POST", f"/element/{field}/value", {"text": item["credential"]})
    d.click_on(d.find_in(container, "button.authorize"))
    d.wait("the scheme to show as authorized",
           lambda: "logout" in d.text_of(d.find_in(container, ".auth-btn-wrapper")).lower())
    d.click(".modal-ux .close-modal")
    # Try it out on one operation.
    op = f"#operations-{item['tag']}-{item['operation']}"
    d.click(f"{op} .opblock-summary")
    d.wait("Try it out", lambda: d.find(f"{op} .try-out__btn"))
    d.click(f"{op} .try-out__btn")
    d.click(f"{op} button.execute")
    status = d.wait("the live response", lambda: d.text(f"{op} .live-responses-table tbody tr.response td.response-col_status").strip())
    body = d.text(f"{op} .live-responses-table tbody tr.response td.response-col_description")
    assert status.startswith("200"), (name, status, body[:300])
    # Leave the operation as found, so the next document starts clean.
    d.click(f"{op} .opblock-summary")
    print(f"{name}: {status} {op}")


def main():
    base, plan = sys.argv[1], json.loads(sys.argv[2])
    with chromium() as d:
        d.go(base + "/docs/")
        d.wait("Swagger UI", lambda: d.find(".topbar select"))
        for item in plan:
            explore(d, item)


if __name__ == "__main__":
    main()
