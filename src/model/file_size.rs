//! File sizes as people read them, and upload progress as a percentage.

/// `0 B`, `999 B`, `1.5 KB`, `50.0 MB`, `5.0 GB` (decimal units, as file managers show them).
pub fn file_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if b < 1000.0 {
        return format!("{} B", bytes.max(0));
    }
    let mut value = b / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Whole percent done, 0–100; an empty total counts as done.
pub fn percent(sent: f64, total: f64) -> u32 {
    if total <= 0.0 {
        return 100;
    }
    ((sent / total) * 100.0).clamp(0.0, 100.0).floor() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(file_size(0), "0 B");
        assert_eq!(file_size(999), "999 B");
        assert_eq!(file_size(1500), "1.5 KB");
        assert_eq!(file_size(52_428_800), "52.4 MB");
        assert_eq!(file_size(5_368_709_120), "5.4 GB");
    }

    #[test]
    fn percent_is_whole_and_bounded() {
        assert_eq!(percent(0.0, 10.0), 0);
        assert_eq!(percent(9.99, 10.0), 99);
        assert_eq!(percent(12.0, 10.0), 100);
        assert_eq!(percent(0.0, 0.0), 100);
    }
}
