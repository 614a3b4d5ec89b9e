//! First run: when no administrator exists and none is configured, the first visit shows a
//! one-time setup page that creates one. It is guarded by a code the server prints in its log at
//! start-up, so only whoever runs the server can claim it, and it works once.

use rand::Rng;
use std::sync::Mutex;

/// The setup code while setup is open; empty once an administrator exists.
#[derive(Debug, Default)]
pub struct SetupCode(Mutex<Option<String>>);

/// Letters that cannot be mistaken for each other when read off a log line.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl SetupCode {
    /// Open with a fresh random code (when no administrator exists), or closed.
    pub fn new(open: bool) -> SetupCode {
        SetupCode(Mutex::new(open.then(generate)))
    }

    pub fn pending(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The code, to print at start-up.
    pub fn code(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Uses the code up when `given` is it: true for the one caller that may create the first
    /// administrator (two at once cannot both win).
    pub fn claim(&self, given: &str) -> bool {
        let mut code = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let matches = code
            .as_deref()
            .is_some_and(|c| same(c.as_bytes(), normalise(given).as_bytes()));
        if matches {
            *code = None;
        }
        matches
    }

    /// Opens setup again with the same code (creating the administrator failed after the claim).
    pub fn reopen(&self, code: &str) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(normalise(code));
    }

    /// Setup is over (an administrator appeared some other way).
    pub fn close(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn generate() -> String {
    let mut rng = rand::thread_rng();
    let chars: String = (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
}

/// As typed: case and surrounding spaces do not matter.
fn normalise(given: &str) -> String {
    given.trim().to_ascii_uppercase()
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_works_once_and_only_as_given() {
        let setup = SetupCode::new(true);
        let code = setup.code().expect("open");
        assert_eq!(code.len(), 14);
        assert!(!setup.claim("WRONG-CODE-0000"));
        assert!(setup.pending());
        assert!(setup.claim(&format!("  {}  ", code.to_lowercase())));
        assert!(!setup.pending());
        assert!(!setup.claim(&code), "used up");
    }

    #[test]
    fn codes_are_random() {
        assert_ne!(SetupCode::new(true).code(), SetupCode::new(true).code());
        assert_eq!(SetupCode::new(false).code(), None);
    }
}
