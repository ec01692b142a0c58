//! Notes on standard error (`cxm: note: …`), named after the metric inside `cxm report`
//! and `cxm check`.

thread_local! {
    /// The metric a `cxm report` / `cxm check` run is computing, named in notes.
    static NOTE_CONTEXT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Name the metric being computed in the notes printed meanwhile (`None` to stop).
pub fn set_note_context(name: Option<&str>) {
    NOTE_CONTEXT.with(|c| *c.borrow_mut() = name.map(str::to_string));
}

/// One `cxm: note: …` line on standard error, prefixed with the metric name inside
/// `cxm report` / `cxm check`.
pub fn note(msg: &str) {
    NOTE_CONTEXT.with(|c| match c.borrow().as_deref() {
        Some(name) => eprintln!("cxm: note: {name}: {msg}"),
        None => eprintln!("cxm: note: {msg}"),
    });
}
