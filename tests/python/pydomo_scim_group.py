"""Reads and changes, through pydomo, a group an identity provider pushed over SCIM.

Usage: python pydomo_scim_group.py API_HOST CLIENT_ID CLIENT_SECRET GROUP_ID MEMBER_ID NEW_MEMBER_ID
Prints one JSON line with what pydomo saw; the caller checks the change through SCIM.
"""

import json
import sys

from pydomo import Domo


def main():
    api_host, client_id, client_secret, group, member, new_member = sys.argv[1:7]
    domo = Domo(client_id, client_secret, api_host=api_host, use_https=False)
    got = domo.groups_get(int(group))
    members = domo.groups_list_users(int(group))
    assert members == [int(member)], members
    renamed = domo.groups.update(int(group), {"name": got["name"] + " (Domo)"})
    assert renamed["memberCount"] == 1, renamed
    domo.groups_add_users(int(group), int(new_member))
    domo.groups_remove_users(int(group), int(member))
    # A group made through pydomo, for SCIM to read.
    made = domo.groups_create("Made In Domo", [int(member)])
    print(json.dumps({"seen": got, "renamed": renamed["name"], "made": made["id"]}))


if __name__ == "__main__":
    main()
