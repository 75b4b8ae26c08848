-- Invoice numbers are assigned when an invoice is issued, from a counter
-- row that is locked for the issuing transaction: sequential, unique, never
-- reused (a deleted draft never had one). New drafts are unnumbered; drafts
-- made before keep the number they were given, and the counter continues
-- after the highest number ever given, so nothing is reused.
ALTER TABLE invoices ALTER COLUMN number DROP NOT NULL;
CREATE TABLE invoice_number_sequence (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    next_number BIGINT NOT NULL CHECK (next_number > 0)
);
INSERT INTO invoice_number_sequence (id, next_number)
    SELECT 1, COALESCE(MAX(number), 0) + 1 FROM invoices;

-- Tasks with tracked time are archived instead of deleted.
ALTER TABLE tasks ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;

-- The account that owns anonymised entries is marked, never recognised by
-- a username somebody could take.
ALTER TABLE users ADD COLUMN placeholder BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET placeholder = TRUE
    WHERE username = 'deleted-user' AND password_hash = '!' AND active = FALSE;
