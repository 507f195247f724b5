//! The pair that flows from Map to Reduce, and how a key picks its reduce task.

use serde::{Deserialize, Serialize};

/// One intermediate pair emitted by an application's Map.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The lab's `ihash`: FNV-1a over the key's bytes, 32 bits, sign bit cleared.
///
/// Written out here because the `fnv` crate only provides the 64-bit variant,
/// and the partitioning must match `ihash(key) % nReduce` of the Go lab.
pub fn ihash(key: &str) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    let mut hash = OFFSET_BASIS;
    for byte in key.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash & 0x7fff_ffff
}

/// The reduce task that owns `key` when there are `n_reduce` of them.
pub fn partition(key: &str, n_reduce: usize) -> usize {
    assert!(n_reduce > 0, "a job needs at least one reduce task");
    let bucket = ihash(key) as usize % n_reduce;
    debug_assert!(bucket < n_reduce);
    bucket
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known FNV-1a 32-bit vectors (from the reference test suite), masked.
    #[test]
    fn ihash_matches_fnv1a_32_vectors() {
        assert_eq!(ihash(""), 0x811c_9dc5 & 0x7fff_ffff);
        assert_eq!(ihash("a"), 0xe40c_292c & 0x7fff_ffff);
        assert_eq!(ihash("foobar"), 0xbf9c_f968 & 0x7fff_ffff);
    }

    #[test]
    fn ihash_never_sets_the_sign_bit() {
        for key in ["", "a", "the", "Zürich", "日本語", "foobar"] {
            assert_eq!(ihash(key) & 0x8000_0000, 0);
        }
    }

    #[test]
    fn partition_is_within_range() {
        for n_reduce in 1..=17 {
            for key in ["a", "b", "sherlock", "tom", "ÆØÅ"] {
                assert!(partition(key, n_reduce) < n_reduce);
            }
        }
    }
}
