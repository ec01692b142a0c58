//! A spinner with the phase and elapsed time on standard error (SPEC 9). polars exposes no
//! byte progress for its scans, so this shows the phase only, and only when the work takes
//! longer than a second on a terminal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<Arc<Mutex<Option<ProgressBar>>>>,
    phase: Arc<Mutex<String>>,
}

impl Progress {
    pub fn start(enabled: bool) -> Progress {
        let phase = Arc::new(Mutex::new("reading".to_string()));
        if !enabled {
            return Progress { bar: None, phase };
        }
        let slot: Arc<Mutex<Option<ProgressBar>>> = Arc::new(Mutex::new(None));
        let (s2, p2) = (slot.clone(), phase.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let mut guard = match s2.lock() {
                Ok(g) => g,
                Err(_) => return,
            };
            // `finish` may have run meanwhile and left a marker.
            if guard.is_some() {
                return;
            }
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.set_message(p2.lock().map(|p| p.clone()).unwrap_or_default());
            pb.enable_steady_tick(Duration::from_millis(120));
            *guard = Some(pb);
        });
        Progress {
            bar: Some(slot),
            phase,
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
