PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE invoices_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number BIGINT NOT NULL UNIQUE,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'paid', 'cancelled')),
    issue_date DATE NOT NULL,
    tax_rate_bp BIGINT NOT NULL,
    subtotal_cents BIGINT NOT NULL,
    tax_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO invoices_rebuilt
    SELECT id, COALESCE(number, -id), client_id, status, issue_date, tax_rate_bp,
           subtotal_cents, tax_cents, total_cents, created_at
    FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_rebuilt RENAME TO invoices;
DROP TABLE invoice_number_sequence;
ALTER TABLE tasks DROP COLUMN archived;
ALTER TABLE users DROP COLUMN placeholder;
COMMIT;
PRAGMA foreign_keys = ON;
