//! The fonts transcripts are set in: read once at start-up from a directory (Debian's
//! `fonts-noto-core` and `fonts-noto-cjk` under `/usr/share/fonts` by default) and registered
//! with the text shaper ourselves, so nothing asks the system's font configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The font files looked for, in the order the text shaper tries them for each character: Latin,
/// Greek and Cyrillic first, then the scripts Noto Sans leaves out, then a broad last resort.
/// Only the regular CJK face is read (the bold one would add 20 MB for bold CJK names).
pub const WANTED: &[&str] = &[
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansArabic-Bold.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansHebrew-Bold.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "NotoSansArmenian-Regular.ttf",
    "NotoSansGeorgian-Regular.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
];

/// The two files without which no transcript is made: text in Latin script must render.
const REQUIRED: &[&str] = &["NotoSans-Regular.ttf", "NotoSans-Bold.ttf"];

/// Font files read into memory, in `WANTED` order.
#[derive(Clone)]
pub struct FontFiles {
    pub files: Vec<(String, Arc<Vec<u8>>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "no {missing} under {dir}: install Debian's fonts-noto-core and fonts-noto-cjk, or set \
         transcripts.font_dir"
    )]
    Missing { missing: String, dir: String },
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// Every file under `dir` (any depth) whose name is in `WANTED`, the first found of each name.
fn find(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if WANTED.contains(&name.as_str()) && !found.iter().any(|(n, _)| *n == name) {
                found.push((name, path));
            }
        }
    }
    found.sort_by_key(|(name, _)| WANTED.iter().position(|w| w == name));
    found
}

/// The wanted files under `dir`, or which required one is missing.
fn found(dir: &Path) -> Result<Vec<(String, PathBuf)>, FontError> {
    let found = find(dir);
    for required in REQUIRED {
        if !found.iter().any(|(name, _)| name == required) {
            return Err(FontError::Missing {
                missing: (*required).to_owned(),
                dir: dir.display().to_string(),
            });
        }
    }
    Ok(found)
}

impl FontFiles {
    /// Whether the fonts transcripts need are under `dir`, without reading them.
    pub fn check(dir: &Path) -> Result<(), FontError> {
        found(dir).map(|_| ())
    }

    /// Reads the wanted fonts under `dir`; an error names what is missing.
    pub fn load(dir: &Path) -> Result<FontFiles, FontError> {
        let found = found(dir)?;
        let mut files = Vec::with_capacity(found.len());
        for (name, path) in found {
            let bytes = std::fs::read(&path).map_err(|source| FontError::Read {
                path: path.display().to_string(),
                source,
            })?;
            files.push((name, Arc::new(bytes)));
        }
        let total: usize = files.iter().map(|(_, b)| b.len()).sum();
        tracing::info!(
            fonts = files.len(),
            mib = total / (1024 * 1024),
            "transcript fonts loaded"
        );
        Ok(FontFiles { files })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(n, _)| n.as_str())
    }
}
