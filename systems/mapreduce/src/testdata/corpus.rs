//! A text corpus with a realistic word distribution: a vocabulary drawn by
//! Zipf's law (a few very common words, a long tail), each document mixing
//! the shared vocabulary with its own topic words, rendered as prose with
//! punctuation, numbers, capitals, a little non-ASCII and the line-ending
//! and whitespace quirks of real files.

use std::collections::BTreeSet;

use rand::distributions::WeightedIndex;
use rand::prelude::Distribution;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::WeightedAliasIndex;

use super::File;

/// The lab's eight inputs. The names matter: early_exit slows down the
/// reduces of keys containing "sherlock" or "tom".
pub const PG_NAMES: [&str; 8] = [
    "pg-being_ernest.txt",
    "pg-dorian_gray.txt",
    "pg-frankenstein.txt",
    "pg-grimm.txt",
    "pg-huckleberry_finn.txt",
    "pg-metamorphosis.txt",
    "pg-sherlock_holmes.txt",
    "pg-tom_sawyer.txt",
];

/// The most frequent English words head the vocabulary, as in real text.
const FUNCTION_WORDS: &[&str] = &[
    "the", "and", "of", "to", "a", "I", "in", "was", "he", "that", "it", "his", "her", "you",
    "with", "had", "as", "for", "she", "not", "at", "but", "be", "my", "on", "have", "him", "is",
    "said", "me", "which", "by", "so", "this", "all", "from", "they", "no", "were", "if",
];

/// Words outside ASCII, including letters of other scripts.
const FOREIGN_WORDS: &[&str] = &[
    "café",
    "naïve",
    "Zürich",
    "straße",
    "smørrebrød",
    "façade",
    "señor",
    "élan",
    "Ærø",
    "москва",
    "слово",
    "λόγος",
    "日本語",
    "テキスト",
    "ǅemal",
    "ﬁn",
];

const ONSETS: &[&str] = &[
    "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "th",
    "sh", "ch", "st", "br", "gr", "pl", "wh",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ou", "ea", "y", "ai", "oo"];
const CODAS: &[&str] = &["", "", "n", "r", "s", "t", "d", "ll", "ng", "ck", "st"];

/// Separators a word may be followed by, with their relative weights.
const SEPARATORS: &[(&str, u32)] = &[
    (" ", 200),
    (", ", 25),
    ("; ", 3),
    (" -- ", 2),
    ("'s ", 3),
    ("-", 2),
    (" \"", 2),
    ("\" ", 2),
    ("\t", 1),
    ("\u{a0}", 1),
    (" 🙂 ", 1),
];

/// How a corpus is shaped; drawn from the seed.
#[derive(Clone, Debug)]
pub struct Shape {
    pub vocabulary: usize,
    pub zipf_exponent: f64,
    pub words_min: usize,
    pub words_max: usize,
}

impl Shape {
    pub fn draw(rng: &mut impl Rng) -> Shape {
        Shape {
            vocabulary: rng.gen_range(800..3000),
            zipf_exponent: rng.gen_range(0.9..1.3),
            words_min: 800,
            words_max: rng.gen_range(1500..5000),
        }
    }
}

impl Shape {
    /// The course's own inputs: eight books of about 80,000 words each
    /// (the Gutenberg texts run 25,000–120,000), and about 22,000 distinct
    /// words in word count's case-sensitive output: the vocabulary plus
    /// its capitalised forms at sentence starts, numbers and topic words,
    /// less the part of the Zipf tail that 640,000 draws never reach.
    pub fn course_scale(rng: &mut impl Rng) -> Shape {
        Shape {
            vocabulary: rng.gen_range(13_000..16_000),
            zipf_exponent: rng.gen_range(1.0..1.1),
            words_min: 70_000,
            words_max: 90_000,
        }
    }
}

/// The eight `pg-*.txt` files of one seed.
pub fn generate(rng: &mut impl Rng) -> Vec<File> {
    let shape = Shape::draw(rng);
    generate_shaped(rng, &shape)
}

/// The eight `pg-*.txt` files of a given shape.
pub fn generate_shaped(rng: &mut impl Rng, shape: &Shape) -> Vec<File> {
    let vocabulary = vocabulary(rng, shape.vocabulary);
    let ranks: Vec<f64> = (0..vocabulary.len())
        .map(|rank| 1.0 / ((rank + 1) as f64).powf(shape.zipf_exponent))
        .collect();
    let zipf = WeightedAliasIndex::new(ranks).expect("positive weights");
    let files: Vec<File> = PG_NAMES
        .iter()
        .map(|name| {
            let words = rng.gen_range(shape.words_min..=shape.words_max);
            let text = document(rng, &vocabulary, &zipf, words);
            (name.to_string(), text.into_bytes())
        })
        .collect();
    assert_eq!(files.len(), PG_NAMES.len());
    files
}

/// Distinct words: function words first, then invented ones with a few
/// foreign words mixed into the tail.
fn vocabulary(rng: &mut impl Rng, size: usize) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut words: Vec<String> = Vec::with_capacity(size);
    for word in FUNCTION_WORDS {
        seen.insert(word.to_string());
        words.push(word.to_string());
    }
    // Bounded: the syllable space is far larger than any vocabulary.
    for _ in 0..size * 20 {
        if words.len() >= size {
            break;
        }
        let word = if rng.gen_ratio(1, 60) {
            FOREIGN_WORDS.choose(rng).expect("non-empty").to_string()
        } else {
            invented_word(rng)
        };
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    assert!(words.len() >= FUNCTION_WORDS.len());
    words
}

fn invented_word(rng: &mut impl Rng) -> String {
    let syllables = rng.gen_range(1..=3);
    let mut word = String::new();
    for _ in 0..syllables {
        word.push_str(ONSETS.choose(rng).expect("non-empty"));
        word.push_str(VOWELS.choose(rng).expect("non-empty"));
        word.push_str(CODAS.choose(rng).expect("non-empty"));
    }
    word
}

/// One document of about `words` words.
fn document(
    rng: &mut impl Rng,
    vocabulary: &[String],
    zipf: &WeightedAliasIndex<f64>,
    words: usize,
) -> String {
    // A small empty file now and then: a map task with nothing to say.
    if rng.gen_ratio(1, 40) {
        return String::new();
    }
    // Topic words: rare overall, common in this document.
    let topics: Vec<&String> = vocabulary.choose_multiple(rng, 12).collect();
    let separators =
        WeightedIndex::new(SEPARATORS.iter().map(|(_, weight)| *weight)).expect("positive weights");
    let newline = if rng.gen_ratio(1, 8) { "\r\n" } else { "\n" };
    let mut text = String::new();
    let mut line_length = 0;
    let mut sentence_start = true;
    for _ in 0..words {
        let word: &str = if rng.gen_ratio(1, 20) {
            topics.choose(rng).expect("non-empty")
        } else {
            &vocabulary[zipf.sample(rng)]
        };
        let before = text.len();
        if rng.gen_ratio(1, 150) {
            text.push_str(&rng.gen_range(1..2000).to_string());
            text.push(' ');
        }
        if sentence_start {
            push_capitalized(&mut text, word);
        } else if rng.gen_ratio(1, 200) {
            text.push_str(&word.to_uppercase());
        } else {
            text.push_str(word);
        }
        sentence_start = rng.gen_ratio(1, 12);
        if sentence_start {
            text.push_str([". ", "! ", "? ", ".\" "][rng.gen_range(0..4)]);
        } else {
            text.push_str(SEPARATORS[separators.sample(rng)].0);
        }
        line_length += text.len() - before;
        if line_length > 64 {
            text.push_str(newline);
            if rng.gen_ratio(1, 8) {
                // A paragraph break.
                text.push_str(newline);
            }
            line_length = 0;
        }
    }
    if rng.gen_ratio(3, 4) {
        text.push_str(newline);
    }
    text
}

fn push_capitalized(text: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(first) = chars.next() {
        text.extend(first.to_uppercase());
        text.push_str(chars.as_str());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::apps::words::words;

    fn corpus(seed: u64) -> Vec<File> {
        generate(&mut ChaCha8Rng::seed_from_u64(seed))
    }

    #[test]
    fn same_seed_same_corpus_other_seed_other_corpus() {
        assert_eq!(corpus(3), corpus(3));
        assert_ne!(corpus(3), corpus(4));
    }

    #[test]
    fn eight_files_with_the_lab_names() {
        let files = corpus(1);
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, PG_NAMES);
    }

    /// The most frequent word is far more frequent than the median word, and
    /// many words occur once: the shape of real text.
    #[test]
    fn word_frequencies_are_zipf_like() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (_, bytes) in corpus(7) {
            let text = String::from_utf8(bytes).expect("the corpus is UTF-8");
            for word in words(&text) {
                *counts.entry(word.to_string()).or_default() += 1;
            }
        }
        let mut frequencies: Vec<usize> = counts.values().copied().collect();
        frequencies.sort_unstable_by(|a, b| b.cmp(a));
        let median = frequencies[frequencies.len() / 2];
        assert!(
            frequencies[0] > 50 * median,
            "top {} median {median}",
            frequencies[0]
        );
        let once = frequencies.iter().filter(|count| **count == 1).count();
        assert!(
            once * 10 > frequencies.len(),
            "{once} of {} words once",
            frequencies.len()
        );
    }
}
