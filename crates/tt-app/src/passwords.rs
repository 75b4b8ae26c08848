//! Password hashing (argon2id, PHC strings) and random secrets.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use ring::rand::{SecureRandom, SystemRandom};
use tt_domain::Password;

use crate::{AppError, Result};

/// Fills `buf` from the system's secure random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| AppError::internal("system random failed"))
}

/// Hashes a password with argon2id. Slow by design: call it off any async
/// executor.
pub fn hash(password: &Password) -> Result<String> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(e.to_string()))
}

/// Checks a password against a stored PHC hash.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that no password matches, verified against when the username is
/// unknown so that response time does not reveal which usernames exist.
pub(crate) fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2B1Tg5c7dd3yVhlOSIb8LHzXq1d5XSd3GZkP7DsCpwA"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip() {
        let p = Password::parse("correct horse battery", &[]).expect("valid");
        let h = hash(&p).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
        assert!(!verify("", dummy_hash()));
    }
}
