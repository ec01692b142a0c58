//! The one-pass reader of Parquet inputs (SPEC 8), the Parquet counterpart of
//! [`crate::input::fast`]: polars decodes only the needed columns as text (the text
//! [`crate::input::frame`] gives them), a batch of whole row groups at a time, and the
//! batch's rows are visited in pieces on every core as the same [`Cells`] the CSV reader
//! gives, while the next batch is decoded. Memory follows the batch, not the file.

use std::borrow::Cow;

use polars::prelude::*;

use crate::input::fast::{on_pieces, threads, Cells};
use crate::input::{Format, FrameCol, Source};

/// Rows decoded at a time at least: whole row groups up to this many (DuckDB writes groups
/// of 122,880 rows, polars of 262,144; more rows a batch cost memory, fewer no time).
/// `CXM_PARQUET_BATCH_ROWS` (undocumented, for tests) makes batches small.
fn batch_rows() -> usize {
    crate::input::env_size("CXM_PARQUET_BATCH_ROWS").unwrap_or(1 << 17)
}

/// Rows of a piece at most (and at least 4 pieces per thread in a batch).
const PIECE_ROWS: usize = 1 << 16;

/// Whether an input is a Parquet file read from disk (not a table in memory).
pub fn eligible(src: &Source) -> bool {
    src.format == Format::Parquet && src.table.is_none()
}

/// [`crate::input::fast::visit_inputs`] for Parquet inputs: `needed(f)` are positions among
/// input `f`'s column names. `None` when an input cannot be read this way (a nested column,
/// a file polars cannot decode): the caller's frame path then reports it.
pub fn visit_inputs<S: Send>(
    sources: &[Source],
    needed: impl Fn(usize) -> Vec<usize>,
    init: impl Fn(usize, usize) -> S + Sync,
    visit: impl Fn(usize, &mut S, &Cells<'_>) + Sync,
) -> Option<Vec<(Vec<S>, u64)>> {
    let mut out = Vec::with_capacity(sources.len());
    for (f, src) in sources.iter().enumerate() {
        if !eligible(src) {
            return None;
        }
        let cols: Vec<FrameCol> = needed(f)
            .into_iter()
            .enumerate()
            .map(|(k, i)| FrameCol {
                name: format!("__v{k}"),
                index: vec![i],
            })
            .collect();
        let lf = crate::input::frame(std::slice::from_ref(src), &cols).ok()?;
        let mut states: Vec<S> = Vec::new();
        let mut rows = 0u64;
        let batch_rows = batch_rows();
        let batches = batches(&src.path, batch_rows)?;
        // The next batch is decoded while this one is visited (one batch ahead at most).
        let whole = std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Option<DataFrame>>(1);
            s.spawn(move || {
                for (at, len) in batches {
                    let df = lf.clone().slice(at as i64, len as IdxSize).collect();
                    let Ok(df) = df else {
                        let _ = tx.send(None);
                        return;
                    };
                    if tx.send(Some(df)).is_err() {
                        return;
                    }
                }
            });
            for df in rx {
                let df = df?;
                let n = df.height();
                let text: Vec<StringChunked> = cols
                    .iter()
                    .map(|c| df.column(&c.name).ok()?.str().ok().cloned())
                    .collect::<Option<_>>()?;
                let parts = if n < 4096 {
                    1
                } else {
                    (threads() * 4).max(n.div_ceil(PIECE_ROWS))
                };
                let base = states.len();
                let (mut got, _) = on_pieces(parts, &|k| init(f, base + k), |k, st| {
                    let (a, b) = (n * k / parts, n * (k + 1) / parts);
                    let slices: Vec<StringChunked> =
                        text.iter().map(|c| c.slice(a as i64, b - a)).collect();
                    let mut its: Vec<_> = slices.iter().map(|c| c.iter()).collect();
                    let mut cells: Vec<Option<Cow<'_, str>>> = vec![None; its.len()];
                    for _ in a..b {
                        for (c, it) in cells.iter_mut().zip(its.iter_mut()) {
                            *c = it.next().flatten().map(Cow::Borrowed);
                        }
                        visit(f, st, &cells);
                    }
                    Ok((b - a) as u64)
                })
                .ok()?;
                states.append(&mut got);
                rows += n as u64;
            }
            Some(())
        });
        whole?;
        out.push((states, rows));
    }
    Some(out)
}

/// The batches of rows (first row, rows) a file is read in: whole row groups, as many as
/// make `target` rows. A row group is never cut: polars would decode it again for each
/// part (a file written as one row group of 2M rows took 8× as long read in slices).
fn batches(path: &std::path::Path, target: usize) -> Option<Vec<(u64, u64)>> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = ParquetReader::new(file);
    let groups: Vec<u64> = reader
        .get_metadata()
        .ok()?
        .row_groups
        .iter()
        .map(|g| g.num_rows() as u64)
        .collect();
    let target = target as u64;
    let mut out: Vec<(u64, u64)> = Vec::new();
    let (mut at, mut len) = (0u64, 0u64);
    for g in groups {
        len += g;
        if len >= target {
            out.push((at, len));
            (at, len) = (at + len, 0);
        }
    }
    if len > 0 || out.is_empty() {
        out.push((at, len));
    }
    Some(out)
}
