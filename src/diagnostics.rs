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
    let line = NOTE_CONTEXT.with(|c| match c.borrow().as_deref() {
        Some(name) => format!("cxm: note: {name}: {msg}"),
        None => format!("cxm: note: {msg}"),
    });
    if let Ok(mut said) = SAID.lock() {
        if said.1 && said.0.contains(&line) {
            return;
        }
        said.0.push(line.clone());
    }
    eprintln!("{line}");
}

/// The notes printed so far, and whether a run is being run again (then a note already
/// printed is not printed twice).
static SAID: std::sync::Mutex<(Vec<String>, bool)> = std::sync::Mutex::new((Vec::new(), false));

/// A metric's run starts again ([`crate::input::read::run_again`]): its notes are printed
/// once.
pub fn replay() {
    if let Ok(mut said) = SAID.lock() {
        said.1 = true;
    }
}
