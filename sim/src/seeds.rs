//! Seeds: parsing `SEED`, `SEEDS` and seed ranges, and the regression corpus
//! (`seeds/<system>.seeds`, lines `scenario seed  # note`).
//!
//! Every malformed value is an error that names it; nothing silently falls
//! back to a default.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A seed parsing or corpus error, naming the bad value and where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedError(pub String);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SeedError {}

/// Parses one seed: a decimal u64.
pub fn parse_seed(text: &str) -> Result<u64, SeedError> {
    let t = text.trim();
    t.parse::<u64>().map_err(|_| {
        SeedError(format!(
            "malformed seed {text:?}: expected a whole number from 0 to {}",
            u64::MAX
        ))
    })
}

/// Parses `A..B` (half-open, as in Rust) or `A..=B` (inclusive), or a single
/// seed `N` (meaning `N..=N`).
pub fn parse_range(text: &str) -> Result<Range<u64>, SeedError> {
    let t = text.trim();
    let bad = |why: &str| SeedError(format!("malformed seed range {text:?}: {why}"));
    let (start, end) = if let Some((a, b)) = t.split_once("..=") {
        let a = parse_seed(a).map_err(|_| bad("start is not a whole number"))?;
        let b = parse_seed(b).map_err(|_| bad("end is not a whole number"))?;
        let end = b.checked_add(1).ok_or_else(|| bad("end is too large"))?;
        (a, end)
    } else if let Some((a, b)) = t.split_once("..") {
        let a = parse_seed(a).map_err(|_| bad("start is not a whole number"))?;
        let b = parse_seed(b).map_err(|_| bad("end is not a whole number"))?;
        (a, b)
    } else {
        let n = parse_seed(t).map_err(|_| bad("expected A..B, A..=B or a seed"))?;
        (n, n.checked_add(1).ok_or_else(|| bad("seed is too large"))?)
    };
    if start >= end {
        return Err(bad("the range is empty"));
    }
    Ok(start..end)
}

/// One line of the corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusEntry {
    pub scenario: String,
    pub seed: u64,
    pub note: String,
    /// `file:line`, for messages.
    pub origin: String,
}

/// Parses a corpus file's text. `origin` names the file in errors.
pub fn parse_corpus(text: &str, origin: &str) -> Result<Vec<CorpusEntry>, SeedError> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let at = format!("{origin}:{}", i + 1);
        let (content, note) = match raw.split_once('#') {
            Some((c, n)) => (c, n.trim()),
            None => (raw, ""),
        };
        let words: Vec<&str> = content.split_whitespace().collect();
        match words.as_slice() {
            [] => continue,
            [scenario, seed] => {
                let seed = parse_seed(seed)
                    .map_err(|e| SeedError(format!("{at}: {e} in line {raw:?}")))?;
                entries.push(CorpusEntry {
                    scenario: scenario.to_string(),
                    seed,
                    note: note.to_string(),
                    origin: at,
                });
            }
            _ => {
                return Err(SeedError(format!(
                    "{at}: malformed corpus line {raw:?}: expected `scenario seed  # note`"
                )))
            }
        }
    }
    Ok(entries)
}

/// Loads every `*.seeds` file in `dir`, in file-name order.
pub fn load_corpus(dir: &Path) -> Result<Vec<CorpusEntry>, SeedError> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "seeds"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(SeedError(format!(
                "cannot read corpus folder {}: {e}",
                dir.display()
            )))
        }
    };
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| SeedError(format!("cannot read {}: {e}", file.display())))?;
        all.extend(parse_corpus(&text, &file.display().to_string())?);
    }
    Ok(all)
}

/// Seeds a user asked for in the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvSeeds {
    /// `SEED=n`: replay one run.
    One(u64),
    /// `SEEDS=a..b`: explore a range. Kept as a range, never a list, so that
    /// `SEEDS=0..100000000` costs no memory up front.
    Range(Range<u64>),
}

impl EnvSeeds {
    /// The seeds, in order.
    pub fn seeds(&self) -> Range<u64> {
        match self {
            // parse_seed caps nothing, so n + 1 may overflow: saturate, and
            // the last seed (u64::MAX) is then dropped, which a seed of
            // u64::MAX never hits in practice but must not panic on.
            EnvSeeds::One(n) => *n..n.saturating_add(1),
            EnvSeeds::Range(r) => r.clone(),
        }
    }
}

/// The seeds `cargo test` runs for a scenario, from the environment:
/// `SEED=n`, or every seed of `SEEDS=a..b`, or None (then: the default seed
/// plus the corpus).
pub fn from_env() -> Result<Option<EnvSeeds>, SeedError> {
    let seed = std::env::var("SEED").ok();
    let seeds = std::env::var("SEEDS").ok();
    match (seed, seeds) {
        (Some(_), Some(_)) => Err(SeedError("set SEED or SEEDS, not both".to_string())),
        (Some(s), None) => parse_seed(&s)
            .map(|n| Some(EnvSeeds::One(n)))
            .map_err(|e| SeedError(format!("SEED: {e}"))),
        (None, Some(s)) => parse_range(&s)
            .map(|r| Some(EnvSeeds::Range(r)))
            .map_err(|e| SeedError(format!("SEEDS: {e}"))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds() {
        assert_eq!(parse_seed("7"), Ok(7));
        assert!(parse_seed("x").unwrap_err().0.contains("\"x\""));
        assert!(parse_seed("-1").is_err());
        assert!(parse_seed("").is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0..3"), Ok(0..3));
        assert_eq!(parse_range("0..=3"), Ok(0..4));
        assert_eq!(parse_range("5"), Ok(5..6));
        for bad in ["3..3", "4..2", "a..b", "..", "1..x", "1...3"] {
            let e = parse_range(bad).unwrap_err();
            assert!(e.0.contains(bad), "{e}");
        }
    }

    #[test]
    fn corpus() {
        let text = "# header\nraft/4b/figure8 12  # lost commit\n\nbank/few_transfers 3\n";
        let entries = parse_corpus(text, "seeds/x.seeds").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].scenario, "raft/4b/figure8");
        assert_eq!(entries[0].seed, 12);
        assert_eq!(entries[0].note, "lost commit");
        assert_eq!(entries[1].origin, "seeds/x.seeds:4");
        let e = parse_corpus("raft/x 1 2\n", "f.seeds").unwrap_err();
        assert!(e.0.starts_with("f.seeds:1:"), "{e}");
        let e = parse_corpus("ok 1\nraft/x notaseed\n", "f.seeds").unwrap_err();
        assert!(
            e.0.starts_with("f.seeds:2:") && e.0.contains("notaseed"),
            "{e}"
        );
    }
}
