//! How long the poll loop waits after failures before it tries again.

/// First wait after a failure.
const FIRST_MS: u32 = 1_000;
/// Longest wait: a server back after an outage is noticed within this.
const MAX_MS: u32 = 30_000;

/// The wait before the next attempt after `failures` failures in a row (1 s, 2 s, 4 s … 30 s);
/// none before the first attempt.
pub fn retry_delay_ms(failures: u32) -> u32 {
    match failures {
        0 => 0,
        // Past 2^5 the cap applies anyway; clamping the shift keeps it from overflowing.
        n => (FIRST_MS << (n - 1).min(5)).min(MAX_MS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_one_second_up_to_thirty() {
        let waits: Vec<u32> = (0..8).map(retry_delay_ms).collect();
        // 1 s · 2^5 = 32 s is already past the cap.
        assert_eq!(
            waits,
            [0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
    }

    #[test]
    fn a_long_outage_never_overflows_the_wait() {
        assert_eq!(retry_delay_ms(30), 30_000);
        assert_eq!(retry_delay_ms(31), 30_000);
        assert_eq!(retry_delay_ms(200), 30_000);
        assert_eq!(retry_delay_ms(u32::MAX), 30_000);
    }
}
