//! `mrsequential`: the reference the distributed run is compared with. It runs
//! every Map, then every Reduce, one at a time in one process, and returns
//! what mrsequential writes to `mr-out-0`.

use crate::app::{App, Effects, PureApp};
use crate::output::{group_by_key, push_line};

/// One input split: its file name and its text.
pub type Input = (String, String);

/// The reference output of `app` over `inputs`, for any application.
pub async fn sequential(app: &dyn App, effects: &dyn Effects, inputs: &[Input]) -> String {
    let mut intermediate = Vec::new();
    for (filename, contents) in inputs {
        intermediate.extend(app.map(effects, filename, contents).await);
    }
    let mut out = String::new();
    for (key, values) in group_by_key(intermediate) {
        let value = app.reduce(effects, &key, &values).await;
        push_line(&mut out, &key, &value);
    }
    out
}

/// The reference output of a pure application, without an executor.
pub fn sequential_pure(app: &dyn PureApp, inputs: &[Input]) -> String {
    let intermediate = inputs
        .iter()
        .flat_map(|(filename, contents)| app.map(filename, contents))
        .collect();
    let mut out = String::new();
    for (key, values) in group_by_key(intermediate) {
        push_line(&mut out, &key, &app.reduce(&key, &values));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::indexer::Indexer;
    use crate::apps::wc::WordCount;

    fn inputs(files: &[(&str, &str)]) -> Vec<Input> {
        files
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect()
    }

    #[test]
    fn word_count_over_two_files() {
        let files = inputs(&[("1", "a b a"), ("2", "b c\nA")]);
        assert_eq!(sequential_pure(&WordCount, &files), "A 1\na 2\nb 2\nc 1\n");
    }

    #[test]
    fn indexer_over_two_files() {
        let files = inputs(&[("d2", "x y"), ("d1", "y")]);
        assert_eq!(sequential_pure(&Indexer, &files), "x 1 d2\ny 2 d1,d2\n");
    }

    #[test]
    fn no_inputs_no_output() {
        assert_eq!(sequential_pure(&WordCount, &[]), "");
    }
}
