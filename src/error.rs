//! The error type every layer returns, the process exit codes (SPEC 3) and
//! "did you mean" suggestions.

use std::fmt;

/// Process exit codes: 0 success, 1 a threshold failed, 2 an error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_ASSERT: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A user-facing error: one line, says what is wrong and what to do.
/// Anything that reaches `main` is printed as `cxm: error: <message>` and exits 2.
#[derive(Debug)]
pub struct CxmError(pub String);

impl fmt::Display for CxmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CxmError {}

/// Build an `anyhow::Error` carrying a one-line user message.
pub fn err(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(CxmError(msg.into()))
}

/// `bail!`-like shorthand returning a user error.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { return Err($crate::error::err(format!($($arg)*))) };
}

/// The closest candidate to `name` (Jaro–Winkler on normalised text), if it is close enough to help.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let key = name.trim().to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let ck = c.trim().to_lowercase();
        let mut score = strsim::jaro_winkler(&key, &ck);
        // A candidate that contains the name (or the reverse) is a strong hint: "created" → "Created at".
        if key.len().min(ck.len()) >= 3 && (ck.contains(&key) || key.contains(&ck)) {
            score = score.max(0.9);
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.75).map(|(_, c)| c.to_string())
}

/// One line for any error chain: the user message if there is one, else the chain joined by ": ".
pub fn render(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string().replace('\n', " ");
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

/// The underlying engine's own words about an error, for the team only: empty unless
/// `CXM_DEBUG` is set (then `; engine: …`). No engine message reaches a user (SPEC 9).
pub fn engine_detail(e: &anyhow::Error) -> String {
    if std::env::var_os("CXM_DEBUG").is_some() {
        format!("; engine: {}", render(e))
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let cands = ["Id", "Created at", "Status"];
        assert_eq!(did_you_mean("created", cands), Some("Created at".into()));
        assert_eq!(did_you_mean("stauts", cands), Some("Status".into()));
        assert_eq!(did_you_mean("zzzzzz", cands), None);
    }

    #[test]
    fn render_is_one_line() {
        let e = anyhow::anyhow!("inner\nproblem").context("outer");
        assert_eq!(render(&e), "outer: inner problem");
    }
}
