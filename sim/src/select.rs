//! Which scenarios a pattern names, for every tool that takes one (`dst
//! list/run/sweep/...`, replay lines).
//!
//! A full name selects exactly that scenario, even when it is also the
//! start of another name (`raft/4b/figure8` is not `raft/4b/figure8_unreliable`):
//! a printed replay line must run the one scenario it was printed for. A
//! prefix must be asked for:
//!
//! | pattern            | selects                                              |
//! |--------------------|------------------------------------------------------|
//! | `all`              | every scenario but those that fail on purpose ([`Scenario::must_fail`]) |
//! | `raft/4b/figure8`  | exactly that scenario                                |
//! | `raft`, `raft/4b/` | every scenario under that path (whole path parts, `/` optional) |
//! | `raft/4b/fig*`     | every name starting with `raft/4b/fig`               |
//! | `*`                | every scenario, those that fail on purpose included  |
//!
//! A pattern that selects nothing is an error naming it, never an empty run.

use crate::Scenario;

/// The scenarios `pattern` selects, in `scenarios`' order, or an error that
/// names the pattern and says what would work.
pub fn select(scenarios: &[Scenario], pattern: &str) -> Result<Vec<Scenario>, String> {
    if pattern.trim().is_empty() {
        return Err(
            "empty scenario pattern: give a name, a path such as `raft/`, `name*` or `all`"
                .to_string(),
        );
    }
    let chosen: Vec<Scenario> = scenarios
        .iter()
        .filter(|s| matches(pattern, s))
        .cloned()
        .collect();
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    let starts = scenarios.iter().any(|s| s.name.starts_with(pattern));
    Err(if starts {
        format!(
            "no scenario is named {pattern:?}; to select every name starting with it, \
             write {:?} (see `list`)",
            format!("{pattern}*")
        )
    } else {
        format!(
            "no scenario matches {pattern:?} (names start with a system, e.g. `raft/`; see `list`)"
        )
    })
}

/// Whether `pattern` selects `scenario` (see the module's table).
pub fn matches(pattern: &str, scenario: &Scenario) -> bool {
    let name = scenario.name;
    match pattern {
        "all" => !scenario.must_fail,
        "*" => true,
        _ => {
            if let Some(prefix) = pattern.strip_suffix('*') {
                return name.starts_with(prefix);
            }
            let path = pattern.strip_suffix('/').unwrap_or(pattern);
            name == path
                || name
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> crate::BodyFuture {
        Box::pin(async { Ok(crate::Summary::new()) })
    }

    fn names(chosen: Result<Vec<Scenario>, String>) -> Vec<&'static str> {
        chosen.unwrap().iter().map(|s| s.name).collect()
    }

    fn registry() -> Vec<Scenario> {
        vec![
            Scenario::new("raft/4b/figure8", body),
            Scenario::new("raft/4b/figure8_unreliable", body),
            Scenario::new("raft/4a/initial_election", body),
            Scenario::new("weather/channel/k1", body),
            Scenario::new("weather/channel/k10", body),
            Scenario::new("demo/rpc/lossy", body).must_fail(),
        ]
    }

    #[test]
    fn a_full_name_selects_exactly_that_scenario() {
        let all = registry();
        assert_eq!(names(select(&all, "raft/4b/figure8")), ["raft/4b/figure8"]);
        assert_eq!(
            names(select(&all, "weather/channel/k1")),
            ["weather/channel/k1"]
        );
    }

    #[test]
    fn paths_select_whole_parts_and_star_selects_a_prefix() {
        let all = registry();
        assert_eq!(
            names(select(&all, "raft/4b")),
            ["raft/4b/figure8", "raft/4b/figure8_unreliable"]
        );
        assert_eq!(names(select(&all, "raft/")).len(), 3);
        assert_eq!(names(select(&all, "raft")).len(), 3);
        assert_eq!(
            names(select(&all, "weather/channel/k1*")),
            ["weather/channel/k1", "weather/channel/k10"]
        );
        assert!(select(&all, "raf").unwrap_err().contains("\"raf*\""));
    }

    #[test]
    fn all_leaves_out_what_fails_on_purpose_unless_named() {
        let all = registry();
        assert_eq!(names(select(&all, "all")).len(), 5);
        assert_eq!(names(select(&all, "*")).len(), 6);
        assert_eq!(names(select(&all, "demo/")), ["demo/rpc/lossy"]);
    }

    #[test]
    fn empty_and_unknown_patterns_are_errors() {
        let all = registry();
        assert!(select(&all, "").unwrap_err().contains("empty"));
        assert!(select(&all, "  ").is_err());
        assert!(select(&all, "bank/").unwrap_err().contains("\"bank/\""));
    }
}
