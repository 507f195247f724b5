//! Credit-score CSV files like the course's `data_{1..4}.csv`, with the
//! cases a different data set may bring: CRLF, blank lines, a byte-order
//! mark, spaces around fields, no final newline, a header-only file,
//! malformed rows, agencies with spaces, scores of exactly 400 and the same
//! person listed twice. The generator also computes the expected output
//! itself, independently of the credit application's parser.

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::SliceRandom;
use rand::Rng;

use super::File;
use crate::apps::credit::{HEADER, SCORE_ABOVE, YEAR};

const AGENCIES: &[&str] = &["Equifax", "Experian", "TransUnion", "Yellow Banana"];
const EXTRA_AGENCIES: &[&str] = &["Blue Kiwi Credit", "Acme", "Crédit Mutuel", "Zeta  Bureau"];

/// Rows that must be skipped: each has the wrong field count, an empty
/// required field or a year or score that is not a number.
const MALFORMED: &[&str] = &[
    "{id},Equifax,2023",
    "{id},Equifax,2023,high",
    "{id},Experian,twenty,500",
    "{id},TransUnion,2023,500,extra",
    "{id},,2023,700",
    ",Equifax,2023,700",
    "{id},Yellow Banana,2023,NaN",
    "{id};Experian;2023;800",
    ",,,",
];

/// Generated files and the output a correct job gives on them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditData {
    pub files: Vec<File>,
    /// `gt.txt`: `agency count` lines, sorted.
    pub expected: String,
    /// How many malformed rows were planted.
    pub malformed: usize,
}

/// The layout quirks of one file.
struct Quirks {
    newline: &'static str,
    bom: bool,
    blank_lines: bool,
    padded_fields: bool,
    final_newline: bool,
}

impl Quirks {
    fn draw(rng: &mut impl Rng) -> Quirks {
        Quirks {
            newline: if rng.gen_ratio(1, 3) { "\r\n" } else { "\n" },
            bom: rng.gen_ratio(1, 10),
            blank_lines: rng.gen_ratio(1, 4),
            padded_fields: rng.gen_ratio(1, 6),
            final_newline: rng.gen_ratio(2, 3),
        }
    }
}

/// The files of one seed: four data files like the course's, sometimes a
/// header-only file besides.
pub fn generate(rng: &mut impl Rng) -> CreditData {
    let mut agencies: Vec<&str> = AGENCIES.to_vec();
    let extra = rng.gen_range(0..=2);
    agencies.extend(EXTRA_AGENCIES.choose_multiple(rng, extra));
    let mut qualifying: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut next_user: u64 = 1;
    let mut malformed = 0;
    let mut files = Vec::new();
    for index in 1..=4 {
        let mut lines: Vec<String> = Vec::new();
        let rows = rng.gen_range(50..400);
        for _ in 0..rows {
            let user = next_user;
            next_user += 1;
            let (line, agency, year, score) = row(rng, &agencies, user);
            if year == YEAR && score > SCORE_ABOVE as u64 {
                qualifying
                    .entry(agency.to_string())
                    .or_default()
                    .insert(user);
            }
            // The same person listed again, with a zero-padded id.
            if rng.gen_ratio(1, 100) {
                lines.push(format!("0{line}"));
            }
            lines.push(line);
        }
        if rng.gen_ratio(1, 4) {
            for _ in 0..rng.gen_range(1..=4) {
                let template = MALFORMED.choose(rng).expect("non-empty");
                let at = rng.gen_range(0..=lines.len());
                lines.insert(at, template.replace("{id}", &next_user.to_string()));
                next_user += 1;
                malformed += 1;
            }
        }
        let text = render(rng, &lines);
        files.push((format!("data_{index}.csv"), text.into_bytes()));
    }
    if rng.gen_ratio(1, 4) {
        let text = if rng.gen_bool(0.5) {
            HEADER.to_string()
        } else {
            format!("{HEADER}\n")
        };
        files.push(("data_5.csv".to_string(), text.into_bytes()));
    }
    CreditData {
        files,
        expected: expected(&qualifying),
        malformed,
    }
}

/// One valid row, and its agency, year and score.
fn row<'a>(rng: &mut impl Rng, agencies: &[&'a str], user: u64) -> (String, &'a str, i64, u64) {
    let agency = *agencies.choose(rng).expect("non-empty");
    let year: i64 = rng.gen_range(2020..=2024);
    // The boundary matters: ten 2023 rows of the course data score 400.
    let score: u64 = match rng.gen_range(0..100) {
        0..=2 => 400,
        3..=4 => 401,
        _ => rng.gen_range(300..=850),
    };
    (
        format!("{user},{agency},{year},{score}"),
        agency,
        year,
        score,
    )
}

fn render(rng: &mut impl Rng, rows: &[String]) -> String {
    let quirks = Quirks::draw(rng);
    let mut text = String::new();
    if quirks.bom {
        text.push('\u{feff}');
    }
    text.push_str(HEADER);
    for row in rows {
        text.push_str(quirks.newline);
        if quirks.blank_lines && rng.gen_ratio(1, 20) {
            text.push_str(if rng.gen_bool(0.5) { "" } else { "  " });
            text.push_str(quirks.newline);
        }
        if quirks.padded_fields && rng.gen_ratio(1, 3) {
            text.push_str(&row.split(',').collect::<Vec<_>>().join(" , "));
        } else {
            text.push_str(row);
        }
    }
    if quirks.final_newline {
        text.push_str(quirks.newline);
    }
    text
}

fn expected(qualifying: &BTreeMap<String, BTreeSet<u64>>) -> String {
    let mut lines: Vec<String> = qualifying
        .iter()
        .map(|(agency, people)| format!("{agency} {}", people.len()))
        .collect();
    lines.sort_unstable();
    lines.iter().map(|line| format!("{line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::apps::credit::{scan, Credit};
    use crate::output::{decode_input, sorted_lines};
    use crate::sequential::sequential_pure;

    fn data(seed: u64) -> CreditData {
        generate(&mut ChaCha8Rng::seed_from_u64(seed))
    }

    /// The credit app, run sequentially, agrees with the generator's own
    /// count, and its parser skips exactly the planted malformed rows.
    #[test]
    fn credit_app_agrees_with_the_generator_on_many_seeds() {
        let mut planted = 0;
        for seed in 0..200 {
            let data = data(seed);
            let inputs: Vec<(String, String)> = data
                .files
                .iter()
                .map(|(name, bytes)| (name.clone(), decode_input(bytes)))
                .collect();
            let skipped: usize = inputs
                .iter()
                .map(|(_, text)| scan(text).malformed.len())
                .sum();
            assert_eq!(skipped, data.malformed, "seed {seed}");
            let output = sequential_pure(&Credit, &inputs);
            assert_eq!(
                sorted_lines([output.as_str()]),
                sorted_lines([data.expected.as_str()]),
                "seed {seed}"
            );
            planted += data.malformed;
        }
        assert!(planted > 0, "no seed planted a malformed row");
    }

    #[test]
    fn same_seed_same_files() {
        assert_eq!(data(5), data(5));
        assert_ne!(data(5), data(6));
    }
}
