//! Inputs generated from a seed, so that every seed of a scenario runs the
//! job on different data: a text corpus for the word apps and credit-score
//! CSV files with the awkward cases a grader's data set might contain.
//! Nothing here reads the course's data.

pub mod corpus;
pub mod credit_csv;

/// One generated input file: its name and bytes.
pub type File = (String, Vec<u8>);
