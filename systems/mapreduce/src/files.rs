//! The job's files: their names and the intermediate format. Pure; the
//! worker does the I/O.
//!
//! Intermediate files hold one JSON object per line (the lab's hint uses
//! `encoding/json`), so they can be read in a trace or a failure dump.
//! Decoding is strict: a file cut short is an error, not a shorter list,
//! because an atomically renamed file is never cut short.

use std::fmt;

use crate::kv::{partition, KeyValue};

/// `mr-X-Y`: what map task `map` wrote for reduce task `reduce`.
pub fn intermediate_name(map: usize, reduce: usize) -> String {
    format!("mr-{map}-{reduce}")
}

/// `mr-out-Y`: the output of reduce task `reduce`.
pub fn output_name(reduce: usize) -> String {
    format!("mr-out-{reduce}")
}

/// What the test script's `mr-out*` glob matches.
pub const OUTPUT_PREFIX: &str = "mr-out";

/// Where a process writes `name` before renaming it into place. Unique per
/// process, and outside the `mr-out*` and `mr-X-Y` patterns, so a leftover
/// from a crash is never mistaken for a result.
pub fn temp_name(name: &str, pid: u64) -> String {
    format!("tmp-{pid}-{name}")
}

/// Split a map's output into the `n_reduce` buckets its reduce tasks read,
/// keeping emit order within each bucket.
pub fn partition_pairs(pairs: Vec<KeyValue>, n_reduce: usize) -> Vec<Vec<KeyValue>> {
    let mut buckets = vec![Vec::new(); n_reduce];
    for pair in pairs {
        buckets[partition(&pair.key, n_reduce)].push(pair);
    }
    buckets
}

/// Serialize pairs, one JSON object per line.
pub fn encode(pairs: &[KeyValue]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(pairs.len() * 24);
    for pair in pairs {
        serde_json::to_writer(&mut bytes, pair).expect("a KeyValue always serializes");
        bytes.push(b'\n');
    }
    bytes
}

/// Why an intermediate file could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for DecodeError {}

/// Parse what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Vec<KeyValue>, DecodeError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let Some(body) = bytes.strip_suffix(b"\n") else {
        let line = bytes.split(|byte| *byte == b'\n').count();
        return Err(DecodeError {
            line,
            reason: "file ends inside a record (cut short?)".into(),
        });
    };
    body.split(|byte| *byte == b'\n')
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_slice(line).map_err(|error| DecodeError {
                line: index + 1,
                reason: error.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_lab() {
        assert_eq!(intermediate_name(3, 7), "mr-3-7");
        assert_eq!(output_name(9), "mr-out-9");
        assert!(output_name(0).starts_with(OUTPUT_PREFIX));
        let temp = temp_name("mr-out-1", 42);
        assert!(!temp.starts_with(OUTPUT_PREFIX) && !temp.starts_with("mr-"));
    }

    #[test]
    fn encode_decode_round_trip_with_awkward_text() {
        let pairs = vec![
            KeyValue::new("a\"b", "new\nline"),
            KeyValue::new("日本", ""),
            KeyValue::new("", "\u{0}"),
        ];
        assert_eq!(decode(&encode(&pairs)).unwrap(), pairs);
        assert_eq!(decode(&encode(&[])).unwrap(), []);
    }

    #[test]
    fn truncated_or_garbled_files_are_errors() {
        let bytes = encode(&[KeyValue::new("a", "1"), KeyValue::new("b", "2")]);
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(decode(cut).unwrap_err().line, 2);
        let cut_mid_record = &bytes[..bytes.len() - 5];
        assert!(decode(cut_mid_record).is_err());
        assert_eq!(decode(b"{\"key\":\"a\"}\n").unwrap_err().line, 1);
    }

    #[test]
    fn partition_keeps_every_pair_once_and_equal_keys_together() {
        let pairs: Vec<KeyValue> = ["x", "y", "x", "z", "y"]
            .iter()
            .map(|key| KeyValue::new(*key, "1"))
            .collect();
        let buckets = partition_pairs(pairs.clone(), 3);
        assert_eq!(buckets.len(), 3);
        assert_eq!(buckets.iter().map(Vec::len).sum::<usize>(), pairs.len());
        for (index, bucket) in buckets.iter().enumerate() {
            assert!(bucket.iter().all(|pair| partition(&pair.key, 3) == index));
        }
    }
}
