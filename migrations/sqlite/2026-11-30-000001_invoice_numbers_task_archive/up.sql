-- Invoice numbers are assigned when an invoice is issued, from a counter
-- row: sequential, unique, never reused (a deleted draft never had one).
-- New drafts are unnumbered; drafts made before keep their number, and the
-- counter continues after the highest number ever given. SQLite's way to
-- relax NOT NULL is to rebuild the table with foreign keys off (so dropping
-- the old table cascades nothing), keeping its AUTOINCREMENT position so
-- the ids of deleted invoices are not handed out again.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE invoices_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number BIGINT UNIQUE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'cancelled')),
    issue_date DATE NOT NULL,
    tax_rate_bp BIGINT NOT NULL,
    subtotal_cents BIGINT NOT NULL,
    tax_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO invoices_rebuilt (id, number, client_id, status, issue_date, tax_rate_bp,
                              subtotal_cents, tax_cents, total_cents, created_at)
    SELECT id, number, client_id, status, issue_date, tax_rate_bp, subtotal_cents,
           tax_cents, total_cents, created_at
    FROM invoices;
DELETE FROM sqlite_sequence WHERE name = 'invoices_rebuilt';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'invoices_rebuilt', seq FROM sqlite_sequence WHERE name = 'invoices';
CREATE TABLE invoice_number_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_number BIGINT NOT NULL CHECK (next_number > 0)
);
INSERT INTO invoice_number_sequence (id, next_number)
    SELECT 1, COALESCE(MAX(number), 0) + 1 FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_rebuilt RENAME TO invoices;

-- Tasks with tracked time are archived instead of deleted.
ALTER TABLE tasks ADD COLUMN archived BOOLEAN NOT NULL DEFAULT 0;
-- The account that owns anonymised entries is marked, never recognised by
-- a username somebody could take.
ALTER TABLE users ADD COLUMN placeholder BOOLEAN NOT NULL DEFAULT 0;
UPDATE users SET placeholder = 1
    WHERE username = 'deleted-user' AND password_hash = '!' AND active = 0;
COMMIT;
PRAGMA foreign_keys = ON;
