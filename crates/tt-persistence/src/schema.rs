//! The one schema both backends share (see `migrations/{sqlite,postgres}`).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
        placeholder -> Bool,
        must_change_password -> Bool,
        time_zone -> Nullable<Text>,
        week_start -> Nullable<Text>,
        entry_count -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        name -> Text,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        key_hash -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        browser -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    clients (id) {
        id -> BigInt,
        name -> Text,
        email -> Nullable<Text>,
        default_rate_cents -> Nullable<BigInt>,
        archived -> Bool,
        created_at -> Timestamp,
        address -> Text,
        tax_id -> Text,
        currency -> Text,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        client_id -> Nullable<BigInt>,
        name -> Text,
        description -> Text,
        billable -> Bool,
        hourly_rate_cents -> Nullable<BigInt>,
        archived -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tasks (id) {
        id -> BigInt,
        project_id -> BigInt,
        name -> Text,
        description -> Text,
        status -> Text,
        assignee_id -> Nullable<BigInt>,
        due_date -> Nullable<Date>,
        created_at -> Timestamp,
        archived -> Bool,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        user_id -> BigInt,
        project_id -> Nullable<BigInt>,
        task_id -> Nullable<BigInt>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invoices (id) {
        id -> BigInt,
        number -> Nullable<BigInt>,
        client_id -> BigInt,
        status -> Text,
        issue_date -> Date,
        tax_rate_bp -> BigInt,
        subtotal_cents -> BigInt,
        tax_cents -> BigInt,
        total_cents -> BigInt,
        created_at -> Timestamp,
        currency -> Text,
        number_text -> Nullable<Text>,
        due_date -> Nullable<Date>,
        notes -> Text,
        discount_bp -> BigInt,
        parties -> Nullable<Text>,
    }
}

diesel::table! {
    invoice_lines (id) {
        id -> BigInt,
        invoice_id -> BigInt,
        project_id -> Nullable<BigInt>,
        description -> Text,
        seconds -> BigInt,
        rate_cents -> BigInt,
        amount_cents -> BigInt,
        kind -> Text,
        quantity -> BigInt,
    }
}

diesel::table! {
    /// Kept by triggers (migration `recent_work`): each user's project/task
    /// combinations (`task_key` 0: no task) and their latest entry's start.
    recent_work (user_id, project_id, task_key) {
        user_id -> BigInt,
        project_id -> BigInt,
        task_key -> BigInt,
        last_start -> Timestamp,
    }
}

diesel::table! {
    time_entries (id) {
        id -> BigInt,
        user_id -> BigInt,
        project_id -> BigInt,
        task_id -> Nullable<BigInt>,
        start_time -> Timestamp,
        end_time -> Nullable<Timestamp>,
        notes -> Text,
        tags -> Text,
        billable -> Bool,
        invoice_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invoice_number_sequence (id) {
        id -> BigInt,
        next_number -> BigInt,
    }
}

diesel::table! {
    installation_state (id) {
        id -> BigInt,
        document -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    company_profile (id) {
        id -> BigInt,
        name -> Text,
        address -> Text,
        tax_id -> Text,
        email -> Text,
        bank_details -> Text,
        payment_terms_days -> Integer,
        default_tax_rate_bp -> BigInt,
        footer -> Text,
        default_currency -> Text,
        number_pattern -> Text,
        logo -> Nullable<Binary>,
        logo_type -> Nullable<Text>,
    }
}

diesel::table! {
    telemetry_claims (name) {
        name -> Text,
        holder -> Text,
        claimed_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (bucket) {
        bucket -> Text,
        used_until_ms -> BigInt,
    }
}

diesel::table! {
    consent_changes (id) {
        id -> BigInt,
        changed_at -> Timestamp,
        level -> Text,
        from_granted -> Nullable<Bool>,
        to_granted -> Bool,
        surface -> Text,
        actor_user_id -> Nullable<BigInt>,
        actor -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(projects -> clients (client_id));
diesel::joinable!(tasks -> projects (project_id));
diesel::joinable!(time_entries -> projects (project_id));
diesel::joinable!(invoice_lines -> invoices (invoice_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_tokens,
    sessions,
    clients,
    projects,
    tasks,
    comments,
    invoices,
    invoice_lines,
    time_entries,
    recent_work,
    installation_state,
    invoice_number_sequence,
    login_throttle,
    consent_changes,
    company_profile,
);
