-- The company an invoice comes from (one row): its details, the terms new
-- invoices get, the default currency and how issued invoices are numbered.
CREATE TABLE company_profile (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    tax_id TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    bank_details TEXT NOT NULL DEFAULT '',
    payment_terms_days INTEGER NOT NULL DEFAULT 14,
    default_tax_rate_bp BIGINT NOT NULL DEFAULT 0,
    footer TEXT NOT NULL DEFAULT '',
    default_currency TEXT NOT NULL DEFAULT 'EUR',
    number_pattern TEXT NOT NULL DEFAULT 'INV-{YYYY}-{seq:04}',
    logo BYTEA,
    logo_type TEXT
);
INSERT INTO company_profile (id) VALUES (1);

-- Clients as recipients: address, tax id and the currency they are billed
-- in (rates are prices in that currency).
ALTER TABLE clients ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN tax_id TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';

-- Invoices: their currency, the number as printed (from the pattern at
-- issue), due date, notes, discount, and the sender's and recipient's
-- details as they were when it was issued (JSON).
ALTER TABLE invoices ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE invoices ADD COLUMN number_text TEXT;
CREATE UNIQUE INDEX invoices_number_text ON invoices (number_text);
ALTER TABLE invoices ADD COLUMN due_date DATE;
ALTER TABLE invoices ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN discount_bp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN parties TEXT;

-- Lines: time or custom, with the printed quantity (hundredths) the amount
-- is computed from; `rate_cents` is the unit price in hundredths.
ALTER TABLE invoice_lines ADD COLUMN kind TEXT NOT NULL DEFAULT 'time';
ALTER TABLE invoice_lines ADD COLUMN quantity BIGINT NOT NULL DEFAULT 0;
UPDATE invoice_lines SET quantity = (seconds + 18) / 36;
