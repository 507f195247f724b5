//! Word count (`mrapps/wc.go`): how often each word occurs in all inputs.

use super::words::words;
use crate::app::PureApp;
use crate::kv::KeyValue;

pub struct WordCount;

impl PureApp for WordCount {
    fn name(&self) -> &'static str {
        "wc"
    }

    fn map(&self, _filename: &str, contents: &str) -> Vec<KeyValue> {
        words(contents)
            .map(|word| KeyValue::new(word, "1"))
            .collect()
    }

    fn reduce(&self, _key: &str, values: &[String]) -> String {
        values.len().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_emits_one_per_occurrence_and_reduce_counts() {
        let pairs = WordCount.map("x.txt", "the cat, the Hat; THE");
        let keys: Vec<&str> = pairs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["the", "cat", "the", "Hat", "THE"]);
        assert!(pairs.iter().all(|kv| kv.value == "1"));
        let ones = vec!["1".to_string(); 3];
        assert_eq!(WordCount.reduce("the", &ones), "3");
    }
}
