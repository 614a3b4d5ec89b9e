//! File content for tests: bytes that do not compress or repeat, and their SHA-256 as the API
//! reports it. Shared by the integration tests and the fault program.

/// `len` bytes of xorshift output from `seed` (the same seed gives the same bytes).
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Lower-case hex SHA-256, as stored files report theirs.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
