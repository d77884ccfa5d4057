"""Fills in usergate's invitation page in headless Chromium, like a person would.

Usage: python browser_accept.py URL PASSWORD
Opens URL in headless Chromium (a phone-sized window), types the password twice, presses the
button, and waits for the page that says the password is set. Prints the final page's heading;
exits non-zero on any failure.
"""

import sys

from webdriver import chromium


def main():
    url, password = sys.argv[1:3]
    with chromium(window="390,844") as d:
        d.go(url)
        heading = d.text("h1")
        assert heading == "Accept your invitation", heading
        # A person types the password twice and presses the button.
        for field in ("#password", "#password_confirm"):
            d.type(field, password)
        d.click("button[type=submit]")
        # The click starts a navigation: until the next page is in, the old heading may be
        # there, or no heading at all.
        heading = d.wait("the next page",
                         lambda: (lambda h: h if h != "Accept your invitation" else None)(d.text("h1")))
        assert heading == "Your password is set", (heading, d.text("main"))
        print(heading)


if __name__ == "__main__":
    main()
