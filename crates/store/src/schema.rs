//! The portable diesel schema, one for both backends (only types both support: `BigInt`,
//! `Bool`, `Text`, `Timestamp`). A test checks it against the migrated databases.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        email_normalized -> Text,
        name -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        title -> Nullable<Text>,
        phone -> Nullable<Text>,
        alternate_email -> Nullable<Text>,
        location -> Nullable<Text>,
        timezone -> Nullable<Text>,
        locale -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        role -> Text,
        status -> Text,
        password_hash -> Nullable<Text>,
        employee_number -> Nullable<BigInt>,
        credentials_version -> BigInt,
        attributes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        external_id -> Nullable<Text>,
        login_name -> Nullable<Text>,
        login_name_normalized -> Nullable<Text>,
    }
}

diesel::table! {
    groups (id) {
        id -> BigInt,
        name -> Text,
        name_normalized -> Text,
        active -> Bool,
        is_default -> Bool,
        creator_id -> Nullable<BigInt>,
        external_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    user_codes (digest) {
        digest -> Text,
        user_id -> BigInt,
        purpose -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    machine_credentials (id) {
        id -> Text,
        kind -> Text,
        secret_digest -> Text,
        owner_id -> BigInt,
        name -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    import_runs (run) {
        run -> Text,
        records -> BigInt,
        created -> BigInt,
        updated -> BigInt,
        skipped -> BigInt,
        rejected -> BigInt,
        finished_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, revoked_tokens, groups, group_members);
