//! `--shard K/N`: which seeds of a range the K-th of N machines runs.
//!
//! A seed belongs to shard `seed % N + 1`. The rule depends on nothing but
//! the seed and N (no hash, no platform width, no build), so every machine
//! agrees on the partition, and a seed keeps its shard whatever range it is
//! swept in. A shard's seeds are an arithmetic progression, computed from
//! the range's ends: a range of 2^64 - 1 seeds costs nothing up front.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Shard K of N, 1 <= K <= N; `"K/N"` in a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole range, for an unsharded sweep.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count} does not exist: expected K/N with 1 <= K <= N"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `K/N`, e.g. `2/8`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("malformed shard {text:?}: expected K/N with 1 <= K <= N, e.g. 2/8");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n).map_err(|_| bad())
    }

    /// Whether `seed` is this shard's.
    pub fn owns(self, seed: u64) -> bool {
        seed % self.count == self.index - 1
    }

    /// This shard's seeds of `range`, in increasing order.
    pub fn seeds(self, range: &Range<u64>) -> ShardSeeds {
        // The first seed >= start with seed % N == K - 1, computed without
        // overflow even for N near 2^64 (None if it is past u64::MAX).
        let (residue, here) = (self.index - 1, range.start % self.count);
        let offset = if residue >= here {
            residue - here
        } else {
            self.count - (here - residue)
        };
        match range.start.checked_add(offset) {
            Some(first) if first < range.end => ShardSeeds {
                first,
                step: self.count,
                len: (range.end - 1 - first) / self.count + 1,
            },
            _ => ShardSeeds {
                first: range.start,
                step: self.count,
                len: 0,
            },
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl TryFrom<String> for Shard {
    type Error = String;
    fn try_from(text: String) -> Result<Shard, String> {
        Shard::parse(&text)
    }
}

impl From<Shard> for String {
    fn from(shard: Shard) -> String {
        shard.to_string()
    }
}

/// The seeds `first, first + step, ...` (`len` of them), never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSeeds {
    first: u64,
    step: u64,
    len: u64,
}

impl ShardSeeds {
    /// How many seeds: at most 2^64 - 1, since a range holds no more.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The i-th seed, i < len; no overflow, since it is at most the range's
    /// last seed.
    pub fn nth(&self, i: u64) -> Option<u64> {
        (i < self.len).then(|| self.first + i * self.step)
    }

    pub fn first(&self) -> Option<u64> {
        self.nth(0)
    }

    pub fn last(&self) -> Option<u64> {
        self.len.checked_sub(1).and_then(|i| self.nth(i))
    }

    /// The seeds, lazily.
    pub fn iter(&self) -> impl Iterator<Item = u64> + Send + 'static {
        let s = *self;
        (0..s.len).map(move |i| s.first + i * s.step)
    }
}
