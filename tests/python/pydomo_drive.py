"""Drives Domo's own Python SDK (pydomo) against a running usergate.

Usage: python pydomo_drive.py API_HOST CLIENT_ID CLIENT_SECRET
(API_HOST like 127.0.0.1:8080/domo). Every step checks what pydomo hands back; any failure
raises, and the exit code is non-zero. On success it prints one JSON line with what it saw.
"""

import json
import sys

from pydomo import Domo


def main():
    api_host, client_id, client_secret = sys.argv[1:4]
    # The token is fetched in the constructor: a bad secret fails here.
    domo = Domo(client_id, client_secret, api_host=api_host, use_https=False)

    created = domo.users_add("Leonhard Euler", "leonhard.euler@example.com", "Privileged")
    uid = created["id"]
    assert isinstance(uid, int), created
    assert created["role"] == "Privileged" and created["roleId"] == 2, created
    assert "title" not in created, "absent optional fields are omitted"

    got = domo.users_get(uid)
    assert got == created, (got, created)

    # More than one of pydomo's 500-user pages.
    ids = [uid]
    for i in range(505):
        u = domo.users.create(
            {"name": f"Bulk {i:03}", "email": f"bulk{i:03}@example.com", "role": "Participant"},
            False,
        )
        ids.append(u["id"])
    everyone = domo.users_list(df_output=False)
    listed = [u["id"] for u in everyone]
    assert listed == sorted(listed), "id order"
    assert len(listed) == len(set(listed)), "no user twice across pages"
    assert set(ids) <= set(listed), "every created user is listed"
    frame = domo.users_list()  # a pandas DataFrame
    assert len(frame) == len(everyone), (len(frame), len(everyone))
    page = domo.users.list(10, 500)
    assert [u["id"] for u in page] == listed[500:510], page

    updated = domo.users_update(uid, {"name": "L. Euler", "title": "Mathematician",
                                      "employeeNumber": "1707"})
    assert updated["name"] == "L. Euler" and updated["title"] == "Mathematician", updated
    assert updated["employeeNumber"] == 1707, updated
    assert updated["email"] == "leonhard.euler@example.com", "omitted fields stay"
    # Writing back what was read changes nothing (the Java SDK's update example).
    again = domo.users_update(uid, domo.users_get(uid))
    assert again["name"] == "L. Euler" and again["role"] == "Privileged", again

    assert domo.users_delete(uid) is None
    gone = domo.users_get(uid)
    assert gone == {"id": uid, "name": "L. Euler", "deleted": True}, gone
    try:
        domo.users_delete(uid)
    except Exception as e:  # pydomo raises a plain Exception on any unexpected status
        assert "Error deleting User" in str(e), e
    else:
        raise AssertionError("deleting twice must fail")
    try:
        domo.users_get(987654321)
    except Exception as e:
        assert "User not found" in str(e), e
    else:
        raise AssertionError("an unknown id must fail")

    print(json.dumps({"listed": len(listed), "frame_rows": len(frame), "deleted": uid}))


if __name__ == "__main__":
    main()
