//! Groups: names, members, defaults, the admin rule, and all-or-nothing changes.

use super::*;
use crate::*;

fn name(n: &str) -> GroupName {
    GroupName::parse(n).expect("group name")
}

fn all() -> Page {
    Page {
        limit: 1000,
        offset: 0,
    }
}

impl World {
    fn group(&self, n: &str) -> Group {
        self.core
            .groups
            .create(&as_actor(&self.admin), NewGroup::new(name(n)))
            .expect("create group")
    }

    fn members(&self, g: &Group) -> Vec<UserId> {
        self.core
            .groups
            .members(&self.sys(), g.id, all())
            .expect("members")
    }
}

#[test]
fn names_are_trimmed_unique_case_insensitively_and_never_a_role() {
    let w = world();
    let sales = w.group("  Sales ");
    assert_eq!(sales.name.as_str(), "Sales");
    assert_eq!(sales.creator, Some(w.admin.id));
    assert!(sales.active && !sales.default);
    let again = w.core.groups.create(&w.sys(), NewGroup::new(name("SALES")));
    assert!(matches!(
        again,
        Err(CoreError::Conflict(Conflict::DuplicateGroupName))
    ));
    for role in ["admin", "Editor", " VIEWER "] {
        assert!(matches!(
            GroupName::parse(role),
            Err(CoreError::Conflict(Conflict::ReservedGroupName))
        ));
    }
    assert!(matches!(
        GroupName::parse("  "),
        Err(CoreError::Validation(_))
    ));
    let nul = NewGroup {
        external_id: Some("a\0b".into()),
        ..NewGroup::new(name("Nul"))
    };
    assert!(matches!(
        w.core.groups.create(&w.sys(), nul),
        Err(CoreError::Validation(_))
    ));
    assert!(matches!(
        GroupName::parse(&"x".repeat(256)),
        Err(CoreError::Validation(_))
    ));
    let ops = w.group("Ops");
    let rename = GroupChanges {
        name: Some(name("sales")),
        ..GroupChanges::default()
    };
    assert!(matches!(
        w.core.groups.update(&w.sys(), ops.id, &rename),
        Err(CoreError::Conflict(Conflict::DuplicateGroupName))
    ));
    // Its own name in another case is a rename, not a clash.
    let recased = GroupChanges {
        name: Some(name("OPS")),
        ..GroupChanges::default()
    };
    let renamed = w
        .core
        .groups
        .update(&w.sys(), ops.id, &recased)
        .expect("rename");
    assert_eq!(renamed.name.as_str(), "OPS");
}

#[test]
fn only_active_admins_manage_groups() {
    let w = world();
    let g = w.group("Sales");
    let bob = w.create("bob@example.com", Role::Privileged);
    let bob = as_actor(&bob);
    let forbidden = |r: CoreResult<()>| {
        assert!(
            matches!(r, Err(CoreError::Forbidden(Denied::NotAdmin))),
            "{r:?}"
        )
    };
    let gs = &w.core.groups;
    forbidden(gs.create(&bob, NewGroup::new(name("Mine"))).map(drop));
    forbidden(gs.get(&bob, g.id).map(drop));
    forbidden(gs.list(&bob, all()).map(drop));
    forbidden(gs.members(&bob, g.id, all()).map(drop));
    forbidden(gs.add_member(&bob, g.id, w.admin.id));
    forbidden(gs.remove_member(&bob, g.id, w.admin.id));
    forbidden(gs.update(&bob, g.id, &GroupChanges::default()).map(drop));
    forbidden(gs.delete(&bob, g.id, GroupDelete::WithMembers));
    forbidden(gs.groups_of(&bob, &[w.admin.id]).map(drop));
    assert_eq!(w.members(&g), []);
}

#[test]
fn members_are_live_users_and_a_deleted_user_leaves_every_group() {
    let w = world();
    let g = w.group("Sales");
    let ann = w.create("ann@example.com", Role::User);
    let bob = w.create("bob@example.com", Role::User);
    let gs = &w.core.groups;
    gs.add_member(&w.sys(), g.id, bob.id).expect("add");
    gs.add_member(&w.sys(), g.id, ann.id).expect("add");
    gs.add_member(&w.sys(), g.id, ann.id)
        .expect("adding twice is no error");
    assert_eq!(w.members(&g), [ann.id, bob.id]);
    assert_eq!(gs.get(&w.sys(), g.id).expect("get").member_count, 2);
    let of = gs.groups_of(&w.sys(), &[ann.id, w.admin.id]).expect("of");
    assert_eq!(of.get(&ann.id).map(Vec::len), Some(1));
    assert!(!of.contains_key(&w.admin.id));
    // Unknown users and unknown groups.
    assert!(matches!(
        gs.add_member(&w.sys(), g.id, UserId::new(999)),
        Err(CoreError::NotFound)
    ));
    assert!(matches!(
        gs.add_member(&w.sys(), GroupId::new(999), ann.id),
        Err(CoreError::GroupNotFound)
    ));
    w.core.users.delete(&w.sys(), &key(&bob)).expect("delete");
    assert_eq!(w.members(&g), [ann.id]);
    assert!(matches!(
        gs.add_member(&w.sys(), g.id, bob.id),
        Err(CoreError::NotFound)
    ));
    gs.remove_member(&w.sys(), g.id, bob.id)
        .expect("removing a non-member is no error");
    gs.remove_member(&w.sys(), g.id, ann.id).expect("remove");
    assert_eq!(w.members(&g), []);
}

#[test]
fn a_change_is_all_or_nothing_and_bounded() {
    let w = world();
    let g = w.group("Sales");
    let ann = w.create("ann@example.com", Role::User);
    let changes = GroupChanges {
        name: Some(name("Renamed")),
        members: Members {
            add: vec![ann.id, UserId::new(999)],
            ..Members::default()
        },
        ..GroupChanges::default()
    };
    assert!(matches!(
        w.core.groups.update(&w.sys(), g.id, &changes),
        Err(CoreError::NotFound)
    ));
    let now = w.core.groups.get(&w.sys(), g.id).expect("get");
    assert_eq!(now.name.as_str(), "Sales");
    assert_eq!(w.members(&g), []);
    let too_many = GroupChanges {
        members: Members {
            add: vec![ann.id; crate::groups::MAX_MEMBER_CHANGES + 1],
            ..Members::default()
        },
        ..GroupChanges::default()
    };
    let refused = w.core.groups.update(&w.sys(), g.id, &too_many);
    assert!(matches!(&refused, Err(CoreError::Validation(f)) if f[0].field == "members"));
    assert_eq!(w.members(&g), []);
    // Set, then remove, then add, in one change.
    let bob = w.create("bob@example.com", Role::User);
    let cy = w.create("cy@example.com", Role::User);
    let swap = GroupChanges {
        members: Members {
            set: Some(vec![ann.id, bob.id]),
            remove: vec![ann.id],
            add: vec![cy.id],
        },
        ..GroupChanges::default()
    };
    let after = w.core.groups.update(&w.sys(), g.id, &swap).expect("swap");
    assert_eq!(after.member_count, 2);
    assert_eq!(w.members(&g), [bob.id, cy.id]);
}

#[test]
fn an_inactive_group_takes_no_new_member_but_lets_members_go() {
    let w = world();
    let g = w.group("Sales");
    let ann = w.create("ann@example.com", Role::User);
    let bob = w.create("bob@example.com", Role::User);
    w.core
        .groups
        .add_member(&w.sys(), g.id, ann.id)
        .expect("add");
    let off = GroupChanges {
        active: Some(false),
        ..GroupChanges::default()
    };
    w.core
        .groups
        .update(&w.sys(), g.id, &off)
        .expect("deactivate");
    assert!(matches!(
        w.core.groups.add_member(&w.sys(), g.id, bob.id),
        Err(CoreError::Conflict(Conflict::InactiveGroup))
    ));
    w.core
        .groups
        .remove_member(&w.sys(), g.id, ann.id)
        .expect("remove");
    assert_eq!(w.members(&g), []);
}

#[test]
fn new_users_join_every_active_default_group_by_any_path() {
    let w = world();
    let default = |n: &str, active: bool| {
        w.core
            .groups
            .create(
                &w.sys(),
                NewGroup {
                    default: true,
                    active,
                    ..NewGroup::new(name(n))
                },
            )
            .expect("group")
    };
    let everyone = default("Everyone", true);
    let retired = default("Retired", false);
    let plain = w.group("Plain");
    let ann = w.create("ann@example.com", Role::User);
    let batch = w
        .core
        .users
        .create_batch(
            &w.sys(),
            vec![Ok(new_user("bob@example.com", Role::User))],
            BatchMode::Stop,
        )
        .expect("batch");
    let bob = batch.results[0].as_ref().expect("bob").clone();
    assert_eq!(w.members(&everyone), [ann.id, bob.id]);
    assert_eq!(w.members(&retired), []);
    assert_eq!(w.members(&plain), []);
    // Marking a group default later does not backfill.
    let on = GroupChanges {
        default: Some(true),
        ..GroupChanges::default()
    };
    w.core
        .groups
        .update(&w.sys(), plain.id, &on)
        .expect("default");
    assert_eq!(w.members(&plain), []);
}

#[test]
fn deleting_a_group_with_members_is_as_the_dialect_says() {
    let w = world();
    let g = w.group("Sales");
    let ann = w.create("ann@example.com", Role::User);
    w.core
        .groups
        .add_member(&w.sys(), g.id, ann.id)
        .expect("add");
    assert!(matches!(
        w.core.groups.delete(&w.sys(), g.id, GroupDelete::OnlyEmpty),
        Err(CoreError::Conflict(Conflict::GroupHasMembers))
    ));
    w.core
        .groups
        .delete(&w.sys(), g.id, GroupDelete::WithMembers)
        .expect("delete");
    assert!(matches!(
        w.core.groups.get(&w.sys(), g.id),
        Err(CoreError::GroupNotFound)
    ));
    // The name is free again.
    w.group("sales");
}

#[test]
fn login_names_and_external_ids_are_unique_among_live_users() {
    let w = world();
    let with = |email: &str, login: &str, external: &str| NewUser {
        login_name: Some(LoginName::parse(login).expect("login")),
        external_id: Some(external.into()),
        ..new_user(email, Role::User)
    };
    let ann = w
        .core
        .users
        .create(&w.sys(), with("ann@example.com", "ann", "X1"))
        .expect("ann");
    let same_login = w
        .core
        .users
        .create(&w.sys(), with("b@example.com", "ANN", "X2"));
    assert!(matches!(
        same_login,
        Err(CoreError::Conflict(Conflict::DuplicateLoginName))
    ));
    // External ids are case-exact.
    w.core
        .users
        .create(&w.sys(), with("c@example.com", "cy", "x1"))
        .expect("another case is another id");
    let same_external = w
        .core
        .users
        .create(&w.sys(), with("d@example.com", "dee", "X1"));
    assert!(matches!(
        same_external,
        Err(CoreError::Conflict(Conflict::DuplicateExternalId))
    ));
    let by_login = UserKey::LoginName(LoginName::parse("Ann").expect("login"));
    assert_eq!(
        w.core.users.get(&w.sys(), &by_login).expect("get").id,
        ann.id
    );
    let by_external = UserKey::ExternalId("X1".into());
    assert_eq!(
        w.core.users.get(&w.sys(), &by_external).expect("get").id,
        ann.id
    );
    assert!(LoginName::parse("ann@example.com").is_err(), "an address");
    w.core.users.delete(&w.sys(), &key(&ann)).expect("delete");
    w.core
        .users
        .create(&w.sys(), with("e@example.com", "ann", "X1"))
        .expect("free again once deleted");
}
