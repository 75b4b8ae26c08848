CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE clients (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    default_rate_cents BIGINT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    client_id BIGINT REFERENCES clients (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    billable BOOLEAN NOT NULL DEFAULT TRUE,
    hourly_rate_cents BIGINT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX projects_client ON projects (client_id);

CREATE TABLE tasks (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'review', 'done')),
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    due_date DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tasks_project ON tasks (project_id);

CREATE TABLE comments (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id BIGINT REFERENCES projects (id),
    task_id BIGINT REFERENCES tasks (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK ((project_id IS NULL) <> (task_id IS NULL))
);
CREATE INDEX comments_project ON comments (project_id);
CREATE INDEX comments_task ON comments (task_id);

CREATE TABLE invoices (
    id BIGSERIAL PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'cancelled')),
    issue_date DATE NOT NULL,
    tax_rate_bp BIGINT NOT NULL,
    subtotal_cents BIGINT NOT NULL,
    tax_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE invoice_lines (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    project_id BIGINT REFERENCES projects (id),
    description TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    rate_cents BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);

CREATE TABLE time_entries (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    task_id BIGINT REFERENCES tasks (id) ON DELETE SET NULL,
    start_time TIMESTAMP NOT NULL,
    end_time TIMESTAMP,
    notes TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    billable BOOLEAN NOT NULL DEFAULT TRUE,
    invoice_id BIGINT REFERENCES invoices (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (end_time IS NULL OR end_time > start_time)
);
CREATE INDEX time_entries_user_start ON time_entries (user_id, start_time);
CREATE INDEX time_entries_project ON time_entries (project_id);
-- At most one running timer per user, whatever the application does.
CREATE UNIQUE INDEX time_entries_one_running_timer ON time_entries (user_id) WHERE end_time IS NULL;

-- Shared installation identity and consent for replicas (one row, id = 1).
CREATE TABLE installation_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    document TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
