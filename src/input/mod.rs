//! The input layer shared by every command: open files ([`read`]), map columns
//! ([`mapping`]), read values ([`values`]), and build one lazy polars frame of text columns.

pub mod dedup;
pub mod fast;
pub mod json;
pub mod ledger;
pub mod mapping;
pub mod parquet;
pub mod presets;
pub mod read;
pub mod rejects;
pub mod rows;
pub mod schema;
pub mod tokenizer;
pub mod values;

use anyhow::Result;
use polars::prelude::*;

pub use read::{Format, LocKind, ReadOptions, Source, Table};

use crate::error::err;

/// One output column of the frame: its name and the header index in each source.
pub struct FrameCol {
    pub name: String,
    pub index: Vec<usize>,
}

fn polars_err(display: &str, e: PolarsError) -> anyhow::Error {
    err(format!(
        "{display}: cannot read the file{}; run `cxm inspect {display}` to see its columns and malformed lines",
        crate::error::engine_detail(&e.into())
    ))
}

/// A lazy frame of text columns over every source, plus `__f` (input number) and `__malformed`
/// (record had too few fields). CSV and Parquet are scanned lazily and only the needed
/// columns are read; in-memory tables become frames directly.
pub fn frame(sources: &[Source], cols: &[FrameCol]) -> Result<LazyFrame> {
    let mut parts = Vec::with_capacity(sources.len());
    for (i, src) in sources.iter().enumerate() {
        let lf = if let Some(t) = &src.table {
            let mut columns: Vec<Column> = Vec::with_capacity(cols.len() + 2);
            for c in cols {
                let idx = c.index[i];
                let vals: Vec<Option<&str>> = t
                    .rows
                    .iter()
                    .map(|r| r.get(idx).and_then(|v| v.as_deref()))
                    .collect();
                columns.push(Column::new(c.name.as_str().into(), vals));
            }
            columns.push(Column::new("__malformed".into(), t.malformed_flags()));
            let df =
                DataFrame::new_infer_height(columns).map_err(|e| polars_err(&src.display, e))?;
            df.lazy()
        } else if matches!(src.format, Format::Json | Format::Ndjson) {
            // Only the needed fields of each record are read (SPEC 8).
            let mut names: Vec<String> = Vec::new();
            for c in cols {
                let h = &src.headers[c.index[i]];
                if !names.contains(h) {
                    names.push(h.clone());
                }
            }
            let (read, malformed) =
                json::read_columns(&src.path, &src.display, src.format, &names)?;
            let mut columns: Vec<Column> = Vec::with_capacity(cols.len() + 1);
            for c in cols {
                let h = &src.headers[c.index[i]];
                let k = names.iter().position(|n| n == h).unwrap_or_default();
                let mut ca = read[k].clone();
                ca.rename(c.name.as_str().into());
                columns.push(ca.into_column());
            }
            columns.push(Column::new("__malformed".into(), malformed));
            let df =
                DataFrame::new_infer_height(columns).map_err(|e| polars_err(&src.display, e))?;
            df.lazy()
        } else {
            let p = src.path.to_string_lossy().to_string();
            let base = match src.format {
                Format::Parquet => {
                    LazyFrame::scan_parquet(PlRefPath::from(p.as_str()), ScanArgsParquet::default())
                        .map_err(|e| polars_err(&src.display, e))?
                }
                _ => LazyCsvReader::new(PlRefPath::from(p.as_str()))
                    .with_has_header(true)
                    .with_separator(src.delimiter)
                    .with_infer_schema_length(Some(0))
                    .with_glob(false)
                    .with_raise_if_empty(false)
                    .finish()
                    .map_err(|e| polars_err(&src.display, e))?,
            };
            // A nested Parquet column (a list, a struct) is not one value.
            for c in cols {
                let h = &src.headers[c.index[i]];
                if let Some((_, t)) = src.nested.iter().find(|(n, _)| n == h) {
                    crate::fail!(
                        "{}: column {h:?} holds nested values ({t}), not one value per row; map another column, or flatten it before exporting",
                        src.display
                    );
                }
            }
            let mut sel: Vec<Expr> = cols
                .iter()
                .map(|c| {
                    let h = &src.headers[c.index[i]];
                    let e = col(h.as_str());
                    let e = if src.format == Format::Parquet {
                        parquet::text_expr(e, src.kinds[c.index[i]])
                    } else {
                        e
                    };
                    e.alias(c.name.as_str())
                })
                .collect();
            sel.push(lit(false).alias("__malformed"));
            base.select(sel)
        };
        parts.push(lf.with_column(lit(i as u32).cast(DataType::UInt32).alias("__f")));
    }
    if parts.len() == 1 {
        return Ok(parts.pop().expect("one part"));
    }
    concat(parts, UnionArgs::default()).map_err(|e| {
        err(format!(
            "cannot combine the inputs{}; check that they are exports of one kind",
            crate::error::engine_detail(&e.into())
        ))
    })
}

/// A positive size from the environment variable `name` (the undocumented switches that
/// make the readers' blocks, heads and batches small in tests).
pub(crate) fn env_size(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
}

/// Whether a one-pass parallel reader can visit every input of `sources`: regular CSV files
/// on disk ([`fast::eligible`]), or NDJSON files read lazily ([`json::visit::eligible`]; not
/// mixed with CSV); the metric passes ([`visit_inputs`]) and [`read_frame`] ask this first
/// and otherwise take polars' path. `CXM_NO_FAST=1` always takes polars (for comparisons).
pub fn direct_eligible(sources: &[Source]) -> bool {
    fast::eligible(sources) || json_eligible(sources) || parquet_eligible(sources)
}

pub(crate) fn parquet_eligible(sources: &[Source]) -> bool {
    std::env::var_os("CXM_NO_FAST").is_none()
        && !sources.is_empty()
        && sources.iter().all(parquet::eligible)
}

pub(crate) fn json_eligible(sources: &[Source]) -> bool {
    std::env::var_os("CXM_NO_FAST").is_none()
        && !sources.is_empty()
        && sources.iter().all(json::visit::eligible)
}

/// Visit every record of every input in parallel pieces (see [`fast::visit_inputs`]):
/// `needed(f)` are input `f`'s column positions, `init(f, piece)` makes a piece's state and
/// `visit(f, state, cells, stamps)` gets the needed cells of one record. `times` are the
/// cells (indices into `needed(f)`) the caller reads as times: a typed Parquet DATE or
/// TIMESTAMP there is handed over as its value in `stamps` (its text cell then empty; see
/// [`rows::time_slot`]); `stamps` is empty for the text formats. `None` when an input must
/// take the careful path instead (nothing the states hold is used then).
pub fn visit_inputs<S: Send>(
    sources: &[Source],
    needed: impl Fn(usize) -> Vec<usize>,
    times: &[usize],
    init: impl Fn(usize, usize) -> S + Sync,
    visit: impl Fn(usize, &mut S, &fast::Cells<'_>, &parquet::Stamps) + Sync,
) -> Option<Vec<(Vec<S>, u64)>> {
    if json_eligible(sources) {
        let timer = crate::progress::Timer::new();
        let got = json::visit::visit_inputs(sources, needed, init, |f, st, c| visit(f, st, c, &[]));
        if got.is_some() {
            timer.mark("one-pass read (json)");
        }
        return got;
    }
    if parquet_eligible(sources) {
        let timer = crate::progress::Timer::new();
        let got = parquet::visit_inputs(sources, needed, times, init, visit);
        if got.is_some() {
            timer.mark("one-pass read (parquet)");
        }
        return got;
    }
    fast::visit_inputs(sources, needed, init, |f, st, c| visit(f, st, c, &[]))
}

/// The collected [`frame`] of `sources` (text columns, `__malformed`, `__f`), read by cxm's
/// one-pass readers ([`visit_inputs`]) when every input is a regular CSV file on disk or an
/// NDJSON file read lazily (SPEC 8), else by polars; an input found irregular is settled by
/// the careful reader first.
/// `CXM_NO_FAST=1` always takes polars (for comparisons).
pub fn read_frame(sources: &mut [Source], cols: &[FrameCol]) -> Result<DataFrame> {
    // (Parquet is read into a frame by polars directly.)
    if direct_eligible(sources) && !parquet_eligible(sources) {
        if let Some(df) = read_direct(sources, cols)? {
            for s in sources.iter_mut() {
                s.checked = true;
            }
            return Ok(df);
        }
    }
    for s in sources.iter_mut() {
        read::settle(s)?;
    }
    collect(frame(sources, cols)?, sources)
}

fn read_direct(sources: &[Source], cols: &[FrameCol]) -> Result<Option<DataFrame>> {
    let visited = visit_inputs(
        sources,
        |f| cols.iter().map(|c| c.index[f]).collect(),
        // Text cells only.
        &[],
        |_, _| -> Vec<StringChunkedBuilder> {
            cols.iter()
                .map(|c| StringChunkedBuilder::new(c.name.as_str().into(), 1 << 16))
                .collect()
        },
        |_, st, cells, _| {
            for (b, c) in st.iter_mut().zip(cells) {
                match c.as_deref() {
                    Some(v) => b.append_value(v),
                    None => b.append_null(),
                }
            }
        },
    );
    let Some(visited) = visited else {
        return Ok(None);
    };
    let mut parts: Vec<DataFrame> = Vec::with_capacity(sources.len());
    for (f, (pieces, rows)) in visited.into_iter().enumerate() {
        let src = &sources[f];
        let mut columns: Vec<Option<StringChunked>> = vec![None; cols.len()];
        for piece in pieces {
            for (slot, b) in columns.iter_mut().zip(piece) {
                let ca = b.finish();
                match slot {
                    Some(acc) => {
                        acc.append(&ca).map_err(|e| polars_err(&src.display, e))?;
                    }
                    None => *slot = Some(ca),
                }
            }
        }
        let mut out: Vec<Column> = columns
            .into_iter()
            .zip(cols)
            .map(|(ca, c)| {
                ca.unwrap_or_else(|| StringChunked::full_null(c.name.as_str().into(), 0))
                    .into_column()
            })
            .collect();
        let n = rows as usize;
        out.push(Column::new("__malformed".into(), vec![false; n]));
        out.push(Column::new("__f".into(), vec![f as u32; n]));
        let df = DataFrame::new(n, out).map_err(|e| polars_err(&src.display, e))?;
        parts.push(df);
    }
    let mut it = parts.into_iter();
    let mut all = it.next().ok_or_else(|| err("internal: no input"))?;
    for df in it {
        all.vstack_mut_owned(df).map_err(|e| {
            err(format!(
                "cannot combine the inputs{}; check that they are exports of one kind",
                crate::error::engine_detail(&e.into())
            ))
        })?;
    }
    Ok(Some(all))
}

/// Run a query on polars' streaming engine: inputs are read in batches, so memory follows
/// the size of the result (groups × periods), not the size of the files.
pub fn collect(lf: LazyFrame, sources: &[Source]) -> Result<DataFrame> {
    let fail = |e: PolarsError| {
        let names: Vec<&str> = sources.iter().map(|s| s.display.as_str()).collect();
        let parquet = sources.iter().any(|s| s.format == Format::Parquet);
        err(format!(
            "{}: cannot read the input{}{}",
            names.join(", "),
            if parquet {
                " (a Parquet file that is damaged, or a column that cannot be read as text)"
            } else {
                ""
            },
            crate::error::engine_detail(&e.into())
        ))
    };
    // One sink (this collect), so the result is a single frame.
    Ok(lf
        .collect_with_engine(Engine::Streaming)
        .map_err(fail)?
        .unwrap_single())
}

/// A column of a collected frame as type `T`, cast when needed (counts come back as
/// `u32` or `u64` depending on the engine); an error names the column.
pub fn column_as(df: &DataFrame, name: &str, dtype: DataType) -> Result<Column> {
    df.column(name)
        .and_then(|x| x.cast(&dtype))
        .map_err(|e| err(format!("internal: column {name}: {e}")))
}

pub fn col_u32(df: &DataFrame, name: &str) -> Result<UInt32Chunked> {
    let c = column_as(df, name, DataType::UInt32)?;
    c.u32().cloned().map_err(|e| err(e.to_string()))
}

pub fn col_u64(df: &DataFrame, name: &str) -> Result<UInt64Chunked> {
    let c = column_as(df, name, DataType::UInt64)?;
    c.u64().cloned().map_err(|e| err(e.to_string()))
}

pub fn col_i64(df: &DataFrame, name: &str) -> Result<Int64Chunked> {
    let c = column_as(df, name, DataType::Int64)?;
    c.i64().cloned().map_err(|e| err(e.to_string()))
}

pub fn col_str(df: &DataFrame, name: &str) -> Result<StringChunked> {
    let c = column_as(df, name, DataType::String)?;
    c.str().cloned().map_err(|e| err(e.to_string()))
}

/// A list column (the per-group lists of durations).
pub fn col_list(df: &DataFrame, name: &str) -> Result<ListChunked> {
    df.column(name)
        .and_then(|x| x.list().cloned())
        .map_err(|e| err(format!("internal: column {name}: {e}")))
}

/// The input number (`__f`) and the malformed-record flag (`__malformed`) of each row of a
/// collected [`frame`].
pub fn row_origin(df: &DataFrame) -> Result<(UInt32Chunked, BooleanChunked)> {
    let pe = |e: PolarsError| err(e.to_string());
    let f = df
        .column("__f")
        .and_then(|x| x.u32().cloned())
        .map_err(pe)?;
    let short = df
        .column("__malformed")
        .and_then(|x| x.bool().cloned())
        .map_err(pe)?;
    Ok((f, short))
}
