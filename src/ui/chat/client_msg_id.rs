//! The id the browser gives each message before sending it, so a retried send is recognised by
//! the server (stored once) and by the window (the echo is replaced, not doubled).

/// Builds an id from the send time and two random numbers: unique enough per sender without a
/// UUID library in the bundle, and within the server's rule (1–64 of `[A-Za-z0-9_-]`).
pub fn client_msg_id(now_ms: u64, random_a: u64, random_b: u64) -> String {
    format!("{now_ms:x}-{random_a:x}-{random_b:x}")
}

/// Turns a `Math.random()` result (0 ≤ x < 1) into 53 random bits.
pub fn random_bits(unit: f64) -> u64 {
    // 2^53: every bit of the double's mantissa; the cast saturates for out-of-range input.
    (unit.clamp(0.0, 1.0) * 9_007_199_254_740_992.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    #[test]
    fn ids_satisfy_the_servers_rule_even_at_the_extremes() {
        assert!(allowed(&client_msg_id(0, 0, 0)));
        let longest = client_msg_id(u64::MAX, u64::MAX, u64::MAX);
        assert!(allowed(&longest), "{longest}");
    }

    #[test]
    fn different_random_parts_give_different_ids() {
        let now = 1_738_591_380_000;
        assert_ne!(
            client_msg_id(now, random_bits(0.25), random_bits(0.5)),
            client_msg_id(now, random_bits(0.25), random_bits(0.75))
        );
    }

    #[test]
    fn random_bits_stay_in_range() {
        assert_eq!(random_bits(0.0), 0);
        assert!(random_bits(0.999_999_999) < 1 << 53);
        assert_eq!(random_bits(f64::NAN), 0);
    }
}
