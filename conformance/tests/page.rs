//! The README's examples are the code that tokio.rs and smol.rs run: each `rust` block of
//! the README under "Check your transport" is, line for line, one of those files' lines
//! between their `// page: NAME` and `// page end` markers.

fn region(file: &str, name: &str) -> String {
    let start = format!("// page: {name}\n");
    let from = file.find(&start).expect("a page marker") + start.len();
    let to = from + file[from..].find("// page end").expect("an end marker");
    file[from..to].to_owned()
}

fn readme_block(readme: &str, name: &str) -> String {
    let start = format!("```rust,ignore\n// tests/conformance.rs, on {name}\n");
    let from = readme
        .find(&start)
        .unwrap_or_else(|| panic!("a {name} block"))
        + start.len();
    let to = from + readme[from..].find("```").expect("the block's end");
    readme[from..to].to_owned()
}

#[test]
fn the_readme_shows_the_code_the_tests_run() {
    let readme = include_str!("../README.md");
    for (name, file) in [
        ("tokio", include_str!("tokio.rs")),
        ("smol", include_str!("smol.rs")),
    ] {
        assert_eq!(
            readme_block(readme, name),
            region(file, name),
            "README's {name} block"
        );
    }
}
