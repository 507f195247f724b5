//! The README's "Test your own implementation", "Raft", shows the student's test
//! file verbatim: the block must be `tests/own_raft.rs`, which `cargo test`
//! builds and runs, so the documented steps are steps that work.

#[test]
fn readme_shows_own_raft_rs_verbatim() {
    let readme = include_str!("../../README.md");
    let file = include_str!("own_raft.rs");
    let section = readme
        .split("## Test your own implementation")
        .nth(1)
        .and_then(|rest| rest.split("### Raft\n").nth(1))
        .expect("README has the section");
    let block = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a rust block");
    assert_eq!(
        block, file,
        "README's block differs from scenarios/tests/own_raft.rs"
    );
}
