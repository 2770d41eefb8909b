//! Secrets handling: random tokens (only their hashes are stored), CSRF signatures.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A URL-safe random token with 256 bits of entropy.
#[must_use]
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored as SHA-256 so that a database leak does not leak live links/sessions.
#[must_use]
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The secret of a client's payment page: HMAC-SHA256 of a random nonce (stored) under the
/// app's secret key (never stored). The database holds only the nonce and the token's
/// SHA-256, so a leaked database gives no working link, while the app can write the same
/// link in every invoice e-mail. 256 bits, URL-safe.
#[must_use]
pub fn payment_link_token(secret_key: &str, nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(b"encaisse-payment-link:");
    mac.update(nonce.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The CSRF token a form must carry for the given CSRF cookie value (signed double submit:
/// an attacker who can plant a cookie still cannot compute the matching token).
#[must_use]
pub fn csrf_token_for(secret_key: &str, cookie_value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(cookie_value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[must_use]
pub fn csrf_token_is_valid(secret_key: &str, cookie_value: &str, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = csrf_token_for(secret_key, cookie_value);
    !cookie_value.is_empty() && expected.as_bytes().ct_eq(submitted.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_link_tokens_depend_on_key_and_nonce() {
        let a = payment_link_token("key", "nonce-1");
        assert_eq!(a, payment_link_token("key", "nonce-1"));
        assert_ne!(a, payment_link_token("key", "nonce-2"));
        assert_ne!(a, payment_link_token("other", "nonce-1"));
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn tokens_are_unique_and_long() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert!(a.len() >= 43);
        assert_eq!(hash_token(&a).len(), 64);
    }

    #[test]
    fn csrf_tokens_are_bound_to_cookie_and_key() {
        let token = csrf_token_for("key", "cookie");
        assert!(csrf_token_is_valid("key", "cookie", &token));
        assert!(!csrf_token_is_valid("key", "other-cookie", &token));
        assert!(!csrf_token_is_valid("other-key", "cookie", &token));
        assert!(!csrf_token_is_valid("key", "", &csrf_token_for("key", "")));
    }
}
