//! Word splitting shared by wc and indexer: Go's
//! `strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })`.

use unicode_general_category::{get_general_category, GeneralCategory};

/// Go's `unicode.IsLetter`: general category L (Lu, Ll, Lt, Lm, Lo).
///
/// Not `char::is_alphabetic`, which also accepts letter numbers (Ⅻ),
/// circled letters (Ⓐ) and combining vowel signs (the Devanagari `ा`), all of
/// which split words in the Go lab.
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        // Hot path: the Gutenberg texts are ASCII.
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    )
}

/// The maximal runs of letters in `text`, in order, never empty.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_letter(c))
        .filter(|word| !word.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        words(text).collect()
    }

    #[test]
    fn ascii_punctuation_digits_and_apostrophes_split() {
        assert_eq!(
            split("Don't stop--2 it's 10o'clock!"),
            ["Don", "t", "stop", "it", "s", "o", "clock"]
        );
        assert_eq!(split(""), Vec::<&str>::new());
        assert_eq!(split("  \r\n\t 123 ... "), Vec::<&str>::new());
    }

    #[test]
    fn letters_of_any_script_join() {
        assert_eq!(split("Zürich straße"), ["Zürich", "straße"]);
        assert_eq!(split("Привет, мир"), ["Привет", "мир"]);
        assert_eq!(split("日本語のテキスト"), ["日本語のテキスト"]);
        // Titlecase (Lt) and modifier letters (Lm) are letters.
        assert_eq!(split("ǅemal ʰa"), ["ǅemal", "ʰa"]);
        // The "fi" ligature is a single lowercase letter.
        assert_eq!(split("ﬁne"), ["ﬁne"]);
    }

    #[test]
    fn what_go_does_not_call_a_letter_splits() {
        // A combining accent (Mn) splits a decomposed "é".
        assert_eq!(split("cafe\u{301}s"), ["cafe", "s"]);
        // Roman numeral Ⅻ is Nl, circled Ⓐ is So, emoji are So.
        assert_eq!(split("chapterⅫend"), ["chapter", "end"]);
        assert_eq!(split("xⒶy"), ["x", "y"]);
        assert_eq!(split("hi🙂there"), ["hi", "there"]);
        // Devanagari vowel sign AA (Mc) is Alphabetic but not a letter.
        assert_eq!(split("का"), ["क"]);
        // Non-breaking and ideographic spaces, the replacement character.
        assert_eq!(split("a\u{a0}b\u{3000}c\u{fffd}d"), ["a", "b", "c", "d"]);
    }
}
