ALTER TABLE users DROP COLUMN placeholder;
ALTER TABLE tasks DROP COLUMN archived;
UPDATE invoices SET number = -id WHERE number IS NULL;
ALTER TABLE invoices ALTER COLUMN number SET NOT NULL;
DROP TABLE invoice_number_sequence;
