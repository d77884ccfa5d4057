"""Drives pydomo's GroupClient and groups_* helpers against a running usergate.

Usage: python pydomo_groups.py API_HOST CLIENT_ID CLIENT_SECRET
(API_HOST like 127.0.0.1:8080/domo). More than 500 groups and more than 500 members, so that
every paging loop of pydomo runs more than once. Every step checks what pydomo hands back; any
failure raises. On success it prints one JSON line with what it saw.
"""

import json
import sys

from pydomo import Domo


def fails(call, words):
    """pydomo raises a plain Exception with the response's text on any unexpected status."""
    try:
        call()
    except Exception as e:  # noqa: BLE001 - pydomo raises nothing more specific
        assert words in str(e), (words, str(e))
    else:
        raise AssertionError(f"expected a failure with {words!r}")


def main():
    api_host, client_id, client_secret = sys.argv[1:4]
    domo = Domo(client_id, client_secret, api_host=api_host, use_https=False)

    # 505 users; the helper creates the group with "active": "true" (a string) and adds each.
    users = [
        domo.users.create(
            {"name": f"Member {i:03}", "email": f"member{i:03}@example.com", "role": "Participant"},
            False,
        )["id"]
        for i in range(505)
    ]
    big = domo.groups_create("Everyone Here", users)
    assert isinstance(big["id"], int), big
    assert big["active"] is True and big["default"] is False, big
    assert big["creatorId"].isdigit(), big
    got = domo.groups_get(big["id"])
    assert got["memberCount"] == 505 and got["name"] == "Everyone Here", got
    members = domo.groups_list_users(big["id"])
    assert members == sorted(users), "every member once, ascending, across two pages"
    assert all(isinstance(m, int) for m in members)
    page = domo.groups.list_users(big["id"], 10, 500)
    assert page == sorted(users)[500:510], page

    # A user carries its groups.
    shown = domo.users_get(users[0])
    assert shown["groups"] == [{"id": big["id"], "name": "Everyone Here"}], shown

    # 505 more groups through the client itself: groups_list pages through all of them.
    made = [domo.groups.create({"name": f"Team {i:03}", "active": True, "default": False})["id"]
            for i in range(505)]
    frame = domo.groups_list()
    assert len(frame) == 506, len(frame)
    listed = list(frame["id"])
    assert listed == sorted(listed) and set(made) <= set(listed)
    assert domo.groups.list(5, 506) == [], "past the end"

    # Update answers the group; {} changes nothing; a taken name is refused.
    team = made[0]
    renamed = domo.groups.update(team, {"name": "Team Renamed", "active": False})
    assert renamed["name"] == "Team Renamed" and renamed["active"] is False, renamed
    assert domo.groups.update(team, {}) == renamed
    fails(lambda: domo.groups.update(team, {"name": "team 001"}), "already exists")
    # An inactive group takes no member, but lets one go.
    fails(lambda: domo.groups.add_user(team, users[0]), "Group is inactive")
    assert domo.groups.remove_user(team, users[0]) is None

    # Adding twice and removing a non-member are no errors; unknowns are 404.
    assert domo.groups_add_users(big["id"], users[0]) == "success"
    assert domo.groups.remove_user(made[1], users[0]) is None
    fails(lambda: domo.groups.add_user(big["id"], 987654321), "User not found")
    fails(lambda: domo.groups.get(987654321), "Group not found")

    # A group with members cannot be deleted; groups_delete empties it first.
    fails(lambda: domo.groups.delete(big["id"]), "Group has members")
    assert domo.groups_delete(big["id"]) is None
    fails(lambda: domo.groups.get(big["id"]), "Group not found")
    assert domo.users_get(users[0])["groups"] == []

    # A deleted user leaves its groups.
    small = domo.groups_create("Small", [users[1], users[2]])
    domo.users_delete(users[1])
    assert domo.groups_list_users(small["id"]) == [users[2]]
    assert domo.groups_get(small["id"])["memberCount"] == 1

    print(json.dumps({"members": len(members), "groups": len(frame), "group": small["id"]}))


if __name__ == "__main__":
    main()
