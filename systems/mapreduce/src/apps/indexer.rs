//! Text indexer (`mrapps/indexer.go`): which documents contain each word.

use std::collections::BTreeSet;

use super::words::words;
use crate::app::PureApp;
use crate::kv::KeyValue;

pub struct Indexer;

impl PureApp for Indexer {
    fn name(&self) -> &'static str {
        "indexer"
    }

    /// One pair per distinct word of the document. Go iterates a map here, so
    /// its order is random; ours is sorted, which Reduce cannot tell apart.
    fn map(&self, document: &str, contents: &str) -> Vec<KeyValue> {
        let distinct: BTreeSet<&str> = words(contents).collect();
        distinct
            .into_iter()
            .map(|word| KeyValue::new(word, document))
            .collect()
    }

    /// `"%d %s"`: the number of documents, then their sorted names joined by ",".
    fn reduce(&self, _key: &str, values: &[String]) -> String {
        let mut documents: Vec<&str> = values.iter().map(String::as_str).collect();
        documents.sort_unstable();
        format!("{} {}", documents.len(), documents.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_emits_each_distinct_word_once() {
        let pairs = Indexer.map("d1", "b a b a c");
        assert_eq!(
            pairs,
            [
                KeyValue::new("a", "d1"),
                KeyValue::new("b", "d1"),
                KeyValue::new("c", "d1")
            ]
        );
    }

    #[test]
    fn reduce_counts_and_sorts_documents() {
        let values = ["pg-z.txt", "pg-a.txt", "pg-m.txt"].map(String::from);
        assert_eq!(Indexer.reduce("w", &values), "3 pg-a.txt,pg-m.txt,pg-z.txt");
    }
}
