//! What a sweep's swarm scenarios actually covered: per scenario, the range
//! of each number and the set of each word its runs drew
//! ([`sim::swarm::drew`]), so that "500 seeds passed" says over which
//! workloads and schedules. Printed only; merge does not carry it.

use std::collections::{BTreeMap, BTreeSet};

use sim::swarm::Value;
use sim::RunResult;

/// What one parameter took over the runs.
#[derive(Default)]
struct Covered {
    low: Option<f64>,
    high: Option<f64>,
    words: BTreeSet<String>,
}

/// Scenario → parameter → what it took, in the order first drawn.
#[derive(Default)]
pub struct SwarmCoverage {
    by_scenario: BTreeMap<&'static str, Vec<(&'static str, Covered)>>,
}

impl SwarmCoverage {
    pub fn add(&mut self, result: &RunResult) {
        if result.drawn.is_empty() {
            return;
        }
        let params = self.by_scenario.entry(result.scenario).or_default();
        for (name, value) in &result.drawn {
            let index = match params.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    params.push((name, Covered::default()));
                    params.len() - 1
                }
            };
            let covered = &mut params[index].1;
            match value {
                Value::Number(n) => {
                    covered.low = Some(covered.low.map_or(*n, |l| l.min(*n)));
                    covered.high = Some(covered.high.map_or(*n, |h| h.max(*n)));
                }
                Value::Word(w) => {
                    covered.words.insert(w.clone());
                }
            }
        }
    }

    /// One line per scenario: `swarm parameters covered by S: a 1..10, b {x,y}`.
    pub fn lines(&self) -> Vec<String> {
        self.by_scenario
            .iter()
            .map(|(scenario, params)| {
                let parts: Vec<String> = params
                    .iter()
                    .map(|(name, c)| format!("{name} {}", c.describe()))
                    .collect();
                format!(
                    "swarm parameters covered by {scenario}: {}",
                    parts.join(", ")
                )
            })
            .collect()
    }
}

impl Covered {
    fn describe(&self) -> String {
        let mut out = Vec::new();
        if let (Some(low), Some(high)) = (self.low, self.high) {
            let (low, high) = (Value::Number(low), Value::Number(high));
            out.push(format!("{low}..{high}"));
        }
        if !self.words.is_empty() {
            let words: Vec<&str> = self.words.iter().map(String::as_str).collect();
            out.push(format!("{{{}}}", words.join(",")));
        }
        out.join(" ")
    }
}
