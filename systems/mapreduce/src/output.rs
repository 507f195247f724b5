//! The text format of reduce output, and how the tests compare it.

use crate::kv::KeyValue;

/// Append one reduce result to an `mr-out-*` file: Go's `"%v %v\n"`
/// ("this is the correct format" in mrsequential.go).
pub fn push_line(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// `sort mr-out* | grep .`: every non-empty line of all files, sorted by
/// bytes (what `sort` does under LC_ALL=C). Comparing these vectors is the
/// test script's `cmp`.
pub fn sorted_lines<'a>(files: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut lines: Vec<&str> = files
        .into_iter()
        .flat_map(str::lines)
        .filter(|line| !line.is_empty())
        .collect();
    lines.sort_unstable();
    lines
}

/// Input bytes as the text an application sees. Go passes the raw bytes as a
/// string; invalid UTF-8 becomes U+FFFD, which no application treats as part
/// of a word.
pub fn decode_input(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Sort pairs by key, keeping the emit order of equal keys, and gather the
/// values of each key: the Reduce calls, in key order.
pub fn group_by_key(mut pairs: Vec<KeyValue>) -> Vec<(String, Vec<String>)> {
    // Stable, so that a key's values arrive in map-task order and emit order,
    // the same in the sequential and the distributed run.
    pairs.sort_by(|left, right| left.key.cmp(&right.key));
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for pair in pairs {
        match groups.last_mut() {
            Some((key, values)) if *key == pair.key => values.push(pair.value),
            _ => groups.push((pair.key, vec![pair.value])),
        }
    }
    debug_assert!(groups.windows(2).all(|pair| pair[0].0 < pair[1].0));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_lines_merges_files_drops_blank_lines_and_sorts_bytewise() {
        let files = ["b 1\n\nZ 2\n", "", "a 3\né 4\n"];
        assert_eq!(sorted_lines(files), ["Z 2", "a 3", "b 1", "é 4"]);
    }

    #[test]
    fn group_by_key_is_stable_within_a_key() {
        let pairs = vec![
            KeyValue::new("b", "1"),
            KeyValue::new("a", "2"),
            KeyValue::new("b", "3"),
            KeyValue::new("a", "4"),
        ];
        let groups = group_by_key(pairs);
        assert_eq!(
            groups,
            [
                ("a".to_string(), vec!["2".to_string(), "4".to_string()]),
                ("b".to_string(), vec!["1".to_string(), "3".to_string()]),
            ]
        );
    }

    #[test]
    fn invalid_utf8_decodes_to_replacement_characters() {
        assert_eq!(decode_input(b"ab\xffcd"), "ab\u{fffd}cd");
    }
}
