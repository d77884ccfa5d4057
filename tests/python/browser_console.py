"""Drives usergate's admin console in headless Chromium, as an admin would, and keeps a
screenshot of every page.

Usage: python browser_console.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD SHOT_DIR

It talks to the Rust test that runs it over standard input and output, one line each way:
    ASK invite <address>   -> the invitation link the test's SMTP receiver caught
    ASK key <api key>      -> "ok" when the key worked against /v1/users
    ASK import-file        -> the path of a CSV file to upload
    SAY <name> <value>     (no answer) a value the test checks afterwards
Exits non-zero on the first step that does not do what it should.
"""

import os
import sys
import time

from webdriver import chromium

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def ask(what):
    print("ASK " + what, flush=True)
    answer = sys.stdin.readline().strip()
    assert answer, f"no answer to {what}"
    return answer


def say(name, value):
    print(f"SAY {name} {value}", flush=True)


class Console:
    def __init__(self, d, base, shots):
        self.d, self.base, self.shots, self.n = d, base, shots, 0

    def go(self, path):
        self.d.go(self.base + path)

    def shot(self, name):
        self.n += 1
        # The whole page: the window grows to the document's height for the picture.
        height = self.d.script("return document.documentElement.scrollHeight")
        width = self.d.script("return window.outerWidth")
        self.d.s("POST", "/window/rect", {"width": width, "height": max(800, min(height + 140, 4000))})
        self.d.screenshot(os.path.join(self.shots, f"{self.n:02d}-{name}.png"))
        self.d.s("POST", "/window/rect", {"width": width, "height": 1000})

    def submit(self, form_css, heading=None):
        """Presses the form's submit button and waits for the next page."""
        before = self.d.find("html")
        self.d.click(f"{form_css} button[type=submit]")
        self.d.wait("the next page", lambda: self.stale(before))
        if heading is not None:
            self.d.wait(f"heading {heading!r}", lambda: heading in self.d.text("h1"))

    def stale(self, element):
        try:
            self.d.s("GET", f"/element/{element}/name")
            return False
        except Exception:
            return True

    def notice(self):
        return self.d.text("p.notice")

    def no_alert(self):
        """An injected script would have opened an alert: there must be none."""
        try:
            text = self.d.s("GET", "/alert/text")
        except Exception:
            return
        raise AssertionError(f"a script ran: alert {text!r}")


def main():
    base, email, password, shots = sys.argv[1:5]
    os.makedirs(shots, exist_ok=True)
    for old in os.listdir(shots):
        if old.endswith(".png"):
            os.remove(os.path.join(shots, old))
    with chromium(window="1280,1000") as d:
        c = Console(d, base, shots)

        # Sign in: a wrong password is refused on the page; the right one opens the users.
        c.go("/console/")
        d.wait("the sign-in page", lambda: d.text("h1") == "Sign in to the console")
        c.shot("login")
        d.type("#email", email)
        d.type("#password", "not the password")
        c.submit("form", "Sign in")
        assert "wrong" in d.text("p.error"), d.text("p.error")
        c.shot("login-refused")
        d.type("#password", password)
        c.submit("form", "Users")
        cookie = d.cookies()["usergate_console"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
        assert cookie["path"] == "/console", cookie
        c.shot("users")

        # Find one user among many.
        d.type("#q", "needle")
        c.submit("form[role=search]", "Users")
        assert d.text("#total").startswith("1 user"), d.text("#total")
        rows = d.find_all("#users tbody tr")
        assert len(rows) == 1, len(rows)
        c.shot("users-search")
        d.click("#users tbody tr a")
        d.wait("the user's page", lambda: "Needle" in d.text("h1"))
        user_path = d.url()[len(base):]
        user_id = user_path.rsplit("/", 1)[1]
        say("needle", user_id)
        c.shot("user")

        # Edit: a title that is markup must come back as text.
        d.clear("#f-title")
        d.type("#f-title", PAYLOAD)
        c.submit("#edit")
        assert c.notice() == "Saved.", c.notice()
        assert d.value("#f-title") == PAYLOAD, d.value("#f-title")
        c.no_alert()

        # Deactivate, then activate again.
        c.submit("form:has(#status-inactive)")
        assert d.text("#status") == "inactive", d.text("#status")
        c.shot("user-deactivated")
        c.submit("form:has(#status-active)")
        assert d.text("#status") == "active", d.text("#status")

        # A group, with the user in it.
        c.go("/console/groups")
        d.type("#name", "Engineering")
        c.submit("#create-group", "Engineering")
        d.type("#email", "needle@seed.test")
        c.submit("#add-member", "Engineering")
        assert c.notice() == "The member is added.", c.notice()
        assert "needle@seed.test" in d.text("#members"), d.text("#members")
        c.shot("group")
        c.go("/console/groups")
        c.shot("groups")
        # The users page filters by the group.
        c.go("/console/users")
        d.click("#group option:nth-child(2)")
        c.submit("form[role=search]", "Users")
        assert d.text("#total").startswith("1 user"), d.text("#total")

        # A new user by invitation; the mail's link opens the accept page.
        c.go("/console/users/new")
        assert d.find_all("#mail-off") == [], "mail is configured"
        d.type("#email", "invitee@example.com")
        d.type("#first_name", "Ivy")
        d.type("#last_name", "Invitee")
        c.shot("user-new")
        c.submit("main form", "Ivy Invitee")
        assert c.notice() == "Created.", c.notice()
        assert "Password\nnot set" in d.text("dl.fields"), d.text("dl.fields")
        link = ask("invite invitee@example.com")
        d.go(link)
        d.wait("the accept page", lambda: d.text("h1") == "Accept your invitation")
        for field in ("#password", "#password_confirm"):
            d.type(field, "invitee-password-1")
        before = d.find("html")
        d.click("button[type=submit]")
        d.wait("the accepted page", lambda: c.stale(before) and d.text("h1") == "Your password is set")

        # An API key made here works against /v1/users.
        c.go("/console/credentials")
        d.clear("#owner")
        d.type("#owner", email)
        d.type("#name", "console test key")
        c.submit("#create-credential", "created")
        key = d.text("#secret")
        assert key.startswith("ugk_"), key
        c.shot("credential-created")
        assert ask("key " + key) == "ok"
        c.go("/console/credentials")
        c.shot("credentials")

        # A webhook endpoint; its test message to a closed port fails, and says so.
        c.go("/console/webhooks")
        d.type("#url", "http://127.0.0.1:9/hook")
        d.type("#description", "closed port")
        c.submit("#create-webhook", "created")
        assert d.text("#secret").startswith("whsec_"), d.text("#secret")
        c.shot("webhook-created")
        d.click("main a[href^='/console/webhooks/']")
        d.wait("the endpoint's page", lambda: d.text("h1").startswith("whk_"))
        c.submit("form:has(#send-test)")
        result = d.text("#result")
        assert result.startswith("Test message:"), result
        c.shot("webhook")
        c.go("/console/webhooks")
        c.shot("webhooks")

        # The audit log shows each step, made through the console.
        c.go(f"/console/audit?target={user_id}")
        rows = [(d.text_of(d.find_in(r, "td.action")), d.text_of(d.find_in(r, "td.channel")).split()[0])
                for r in d.find_all("table.events tbody tr")]
        for wanted in ("user.update", "user.deactivate", "user.activate"):
            assert (wanted, "console") in rows, (wanted, rows)
        # The user came in by the seeding import; everything since, through the console.
        assert rows[-1] == ("user.create", "import"), rows
        c.go("/console/audit?outcome=success")
        actions = [d.text_of(e) for e in d.find_all("table.events td.action")]
        for wanted in ("group.create", "group.member_add", "user.create", "api_key.create",
                       "webhook.create", "auth.login"):
            assert wanted in actions, (wanted, actions)
        c.shot("audit")

        # Import: a dry run first, then the import.
        c.go("/console/import")
        path = ask("import-file")
        if path:
            d.type("#import-file", path)
            c.submit("#import-form", "Dry run")
            d.wait("the dry run to finish", lambda: "checked" in d.text("#progress"), timeout=60)
            c.shot("import-dry-run")
            assert "would be imported" in d.text("main"), d.text("main")
            c.submit("#run-import")
            d.wait("the import to finish", lambda: "finished" in d.text("#progress"), timeout=60)
            c.shot("import-done")

        # The user's page again: the trail and the groups.
        c.go(user_path)
        assert "Engineering" in d.text("#groups"), d.text("#groups")
        c.shot("user-after")

        # A phone-sized window still works.
        d.s("POST", "/window/rect", {"width": 390, "height": 844})
        c.go("/console/users")
        c.shot("users-phone")
        d.s("POST", "/window/rect", {"width": 1280, "height": 1000})

        # Sign out: back to the sign-in page; the old cookie is handed to the test to replay.
        say("cookie", d.cookies()["usergate_console"]["value"])
        c.submit("form.signout", "Sign in")
        assert "usergate_console" not in d.cookies()
        c.no_alert()

        # A second admin signs in; deactivated through another dialect, the next page sends
        # the browser back to the sign-in page.
        second = ask("second-admin")
        email2, password2 = second.split(" ", 1)
        d.type("#email", email2)
        d.type("#password", password2)
        c.submit("form", "Users")
        assert ask("deactivate " + email2) == "ok"
        c.go("/console/users")
        d.wait("the sign-in page", lambda: d.text("h1") == "Sign in to the console")
        assert d.url().endswith("/console/login"), d.url()
        c.shot("session-ended")
    print("console: every step passed", flush=True)


if __name__ == "__main__":
    main()
