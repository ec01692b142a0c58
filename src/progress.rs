//! The progress display on standard error (SPEC 9), only on a terminal and only when the
//! work takes longer than a second: a bar over the bytes read (with rate and time left)
//! while cxm's own readers go through a file, else a spinner with the phase (polars exposes
//! no byte progress for its scans).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bytes of the file being read by cxm's readers (0: none), and how many are done.
static BYTES_TOTAL: AtomicU64 = AtomicU64::new(0);
static BYTES_DONE: AtomicU64 = AtomicU64::new(0);

/// A reader starts going through `total` bytes.
pub fn reading(total: u64) {
    BYTES_DONE.store(0, Ordering::Relaxed);
    BYTES_TOTAL.store(total, Ordering::Relaxed);
}

/// A reader went through `n` more bytes.
pub fn advance(n: u64) {
    BYTES_DONE.fetch_add(n, Ordering::Relaxed);
}

/// The reader is done with its file.
pub fn read_done() {
    BYTES_TOTAL.store(0, Ordering::Relaxed);
}

pub struct Progress {
    bar: Option<Arc<Mutex<Option<ProgressBar>>>>,
    phase: Arc<Mutex<String>>,
    done: Arc<AtomicBool>,
}

fn spinner() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar() -> ProgressStyle {
    ProgressStyle::with_template(
        "reading [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}, {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

impl Progress {
    pub fn start(enabled: bool) -> Progress {
        let phase = Arc::new(Mutex::new("reading".to_string()));
        let done = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Progress {
                bar: None,
                phase,
                done,
            };
        }
        let slot: Arc<Mutex<Option<ProgressBar>>> = Arc::new(Mutex::new(None));
        let (s2, p2, d2) = (slot.clone(), phase.clone(), done.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let pb = {
                let mut guard = match s2.lock() {
                    Ok(g) => g,
                    Err(_) => return,
                };
                // `finish` may have run meanwhile and left a marker.
                if guard.is_some() || d2.load(Ordering::Relaxed) {
                    return;
                }
                let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                pb.set_style(spinner());
                pb.set_message(p2.lock().map(|p| p.clone()).unwrap_or_default());
                pb.enable_steady_tick(Duration::from_millis(120));
                *guard = Some(pb.clone());
                pb
            };
            // Follow the readers: a byte bar while one reads, the spinner otherwise.
            let mut showing_bar = false;
            while !d2.load(Ordering::Relaxed) {
                let total = BYTES_TOTAL.load(Ordering::Relaxed);
                if total > 0 {
                    if !showing_bar {
                        pb.set_style(bar());
                        pb.set_length(total);
                        showing_bar = true;
                    }
                    pb.set_position(BYTES_DONE.load(Ordering::Relaxed).min(total));
                } else if showing_bar {
                    pb.set_style(spinner());
                    showing_bar = false;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Progress {
            bar: Some(slot),
            phase,
            done,
        }
    }

    pub fn phase(&self, name: &str) {
        if let Ok(mut p) = self.phase.lock() {
            *p = name.to_string();
        }
        if let Some(slot) = &self.bar {
            if let Ok(g) = slot.lock() {
                if let Some(pb) = g.as_ref() {
                    pb.set_message(name.to_string());
                }
            }
        }
    }

    pub fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(slot) = &self.bar {
            if let Ok(mut g) = slot.lock() {
                match g.as_ref() {
                    Some(pb) => pb.finish_and_clear(),
                    // Leave a hidden bar so the delayed thread does not start one.
                    None => *g = Some(ProgressBar::hidden()),
                }
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Phase timings on standard error when `CXM_TIMINGS` is set (for benchmarking).
pub struct Timer {
    start: Option<std::time::Instant>,
}

impl Timer {
    pub fn new() -> Timer {
        Timer {
            start: std::env::var_os("CXM_TIMINGS").map(|_| std::time::Instant::now()),
        }
    }

    pub fn mark(&self, what: &str) {
        if let Some(s) = self.start {
            eprintln!("cxm: timing: {what}: {:.3}s", s.elapsed().as_secs_f64());
        }
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}
