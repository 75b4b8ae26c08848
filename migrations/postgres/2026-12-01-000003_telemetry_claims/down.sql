DROP TABLE telemetry_claims;
