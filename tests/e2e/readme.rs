//! The README never lies: its first command runs, and every `$ cxm …` line in its
//! ```console blocks prints exactly what the README shows (refresh with
//! `scripts/readme_outputs.py`).

use crate::util::*;

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// Split a command line like a POSIX shell would for the simple quoting the README uses.
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

#[test]
fn readme_starts_with_the_two_commands() {
    let text = readme();
    let block = text
        .split("```bash\n")
        .nth(1)
        .expect("a bash block")
        .split("```")
        .next()
        .unwrap();
    let lines: Vec<&str> = block.lines().collect();
    assert!(
        lines[0].starts_with("cargo run --release -- "),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "cargo test --locked");
    // The main job itself, through the built binary.
    let mut args = shell_words(lines[0].trim_start_matches("cargo run --release -- "));
    if args[0] == "report" {
        // `cxm report CONFIG -o DIR`: write into a temporary directory instead of DIR.
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("report");
        let i = args
            .iter()
            .position(|a| a == "-o" || a == "--output")
            .expect("report -o DIR");
        args[i + 1] = out.to_string_lossy().into_owned();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(o.code, 0, "{}", o.stderr);
        for f in ["summary.json", "summary.md", "report.html"] {
            assert!(out.join(f).is_file(), "{f} not written");
        }
        return;
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("Total"), "{}", o.stdout);
}

#[test]
fn readme_console_examples_match_the_binary() {
    let text = readme();
    let mut checked = 0;
    for block in text.split("```console\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut lines = block.lines().peekable();
        while let Some(line) = lines.next() {
            let Some(cmdline) = line.strip_prefix("$ cxm ") else {
                continue;
            };
            let mut expected: Vec<&str> = Vec::new();
            while let Some(next) = lines.peek() {
                if next.starts_with("$ ") {
                    break;
                }
                expected.push(lines.next().unwrap());
            }
            let mut code = 0;
            if let Some(last) = expected.last() {
                if let Some(c) = last
                    .strip_prefix("[exit ")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    code = c.parse().unwrap();
                    expected.pop();
                }
            }
            let args = shell_words(cmdline);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run(&args);
            assert_eq!(
                o.code, code,
                "exit code of `cxm {cmdline}`; stderr: {}",
                o.stderr
            );
            let got: Vec<String> = o
                .stdout
                .trim_end_matches('\n')
                .lines()
                .map(|l| l.trim_end().to_string())
                .collect();
            assert_eq!(
                got, expected,
                "output of `cxm {cmdline}` differs from README.md; run scripts/readme_outputs.py"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "README has its examples ({checked})");
}
