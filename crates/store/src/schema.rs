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

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        instance_id -> Text,
        request_id -> Nullable<Text>,
        dialect -> Text,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        actor_email -> Nullable<Text>,
        credential_id -> Nullable<Text>,
        action -> Text,
        event_type -> Nullable<Text>,
        outcome -> Text,
        error_code -> Nullable<Text>,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        target_email -> Nullable<Text>,
        changes -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        resource -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        url -> Text,
        description -> Text,
        event_types -> Text,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        retry_at -> Nullable<Timestamp>,
        leased_until -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> BigInt,
        status -> Text,
        attempts -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<BigInt>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
        succeeded -> Bool,
    }
}

diesel::joinable!(webhook_deliveries -> audit_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    revoked_tokens,
    groups,
    group_members,
    audit_events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
);
