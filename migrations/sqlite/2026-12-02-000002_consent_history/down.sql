DROP TABLE consent_changes;
