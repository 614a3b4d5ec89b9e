//! Lower-case hexadecimal, the one way the server writes digests and random tokens as text.

pub fn lower_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_become_two_lower_case_digits_each() {
        assert_eq!(super::lower_hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(super::lower_hex(&[]), "");
    }
}
