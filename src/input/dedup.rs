//! Duplicate ids (SPEC 4): which rows lose to a later copy of the same id. Ids are hashed
//! first; only when a hash repeats are the rows read again and compared exactly.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use crate::error::err;
use crate::input::{collect, Source};
use crate::time::TimeParser;

/// FNV-1a: a fast 64-bit hash of an id; a collision only costs an exact comparison later.
pub fn id_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The id hashes that occur more than once. The hashes are scattered into 256 buckets by
/// their top bits (equal hashes share a bucket), and the buckets, small enough to sort in
/// cache, are sorted on all cores.
pub fn repeated_hashes(mut hashes: Vec<u64>) -> HashSet<u64> {
    fn repeats(part: &mut [u64], out: &mut Vec<u64>) {
        part.sort_unstable();
        out.extend(part.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]));
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut out = Vec::new();
    if threads < 2 || hashes.len() < 1 << 16 {
        repeats(&mut hashes, &mut out);
        return out.into_iter().collect();
    }
    const BITS: u32 = 8;
    let mut starts = vec![0usize; (1 << BITS) + 1];
    for &h in &hashes {
        starts[(h >> (64 - BITS)) as usize + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut scattered = vec![0u64; hashes.len()];
    let mut next = starts.clone();
    for h in hashes {
        let b = (h >> (64 - BITS)) as usize;
        scattered[next[b]] = h;
        next[b] += 1;
    }
    // Contiguous runs of buckets, one per thread.
    let mut rest: &mut [u64] = &mut scattered;
    let mut runs: Vec<&mut [u64]> = Vec::with_capacity(threads);
    let mut taken = 0;
    let per = (1usize << BITS).div_ceil(threads);
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    for t in 0..threads {
        let (lo, hi) = ((t * per).min(1 << BITS), ((t + 1) * per).min(1 << BITS));
        let (head, tail) = rest.split_at_mut(starts[hi] - taken);
        taken = starts[hi];
        runs.push(head);
        bounds.push((lo, hi));
        rest = tail;
    }
    std::thread::scope(|s| {
        let jobs: Vec<_> = runs
            .into_iter()
            .zip(bounds)
            .map(|(run, (lo, hi))| {
                let starts = &starts;
                s.spawn(move || {
                    let mut found = Vec::new();
                    let base = starts[lo];
                    for b in lo..hi {
                        repeats(&mut run[starts[b] - base..starts[b + 1] - base], &mut found);
                    }
                    found
                })
            })
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().unwrap_or_default())
            .collect()
    })
}

/// Duplicate ids (SPEC 4): the global row indexes (`__g`, from `with_row_index`, which `lf`
/// must carry) to count as `duplicate`. Ids are compared as written (blank ids never
/// repeat); among rows with one id the latest `updated_at` wins, then the last in input
/// order (a blank or placeholder `updated_at` is older than any other). One pass reads only the id column and hashes it; usually no hash repeats and
/// nothing else is read. Otherwise only the rows whose hash repeats are collected and
/// compared exactly.
pub fn duplicate_rows(
    lf: LazyFrame,
    sources: &[Source],
    parser: &TimeParser,
    id_col: &str,
    upd_col: Option<&str>,
) -> Result<Option<HashSet<u32>>> {
    let hashes = collect(
        lf.clone().select([col(id_col)
            .map(
                |c: Column| {
                    let out: UInt64Chunked = c
                        .str()?
                        .iter()
                        .map(|v| v.filter(|s| !s.trim().is_empty()).map(id_hash))
                        .collect();
                    Ok(out.into_column())
                },
                |_, f| Ok(Field::new(f.name().clone(), DataType::UInt64)),
            )
            .alias("__h")]),
        sources,
    )?;
    let hv: Vec<u64> = hashes
        .column("__h")
        .and_then(|c| c.u64().cloned())
        .map_err(|e| err(e.to_string()))?
        .iter()
        .flatten()
        .collect();
    let repeated = repeated_hashes(hv);
    if repeated.is_empty() {
        return Ok(None);
    }
    duplicate_losers(lf, sources, parser, id_col, upd_col, repeated).map(Some)
}

/// The `duplicate` rows among those whose id hash is in `repeated` (see [`duplicate_rows`]).
pub fn duplicate_losers(
    lf: LazyFrame,
    sources: &[Source],
    parser: &TimeParser,
    id_col: &str,
    upd_col: Option<&str>,
    repeated: HashSet<u64>,
) -> Result<HashSet<u32>> {
    let repeated = Arc::new(repeated);
    let lf = lf.filter(col(id_col).map(
        move |c: Column| {
            let out: BooleanChunked = c
                .str()?
                .iter()
                .map(|v| {
                    Some(v.is_some_and(|s| !s.trim().is_empty() && repeated.contains(&id_hash(s))))
                })
                .collect();
            Ok(out.into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    ));
    let mut sel = vec![col("__g"), col(id_col)];
    if let Some(u) = upd_col {
        sel.push(col(u));
    }
    let df = collect(lf.select(sel), sources)?;
    let text = |name: &str| -> Result<StringChunked> {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .map_err(|e| err(e.to_string()))
    };
    let ids = text(id_col)?;
    let upd = match upd_col {
        Some(u) => Some(text(u)?),
        None => None,
    };
    let g = df
        .column("__g")
        .and_then(|c| c.cast(&DataType::UInt32))
        .and_then(|c| c.u32().cloned())
        .map_err(|e| err(e.to_string()))?;
    let mut best: HashMap<&str, (i64, u32)> = HashMap::new();
    let mut losers = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(id) = id.filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        let row = g.get(i).unwrap_or(0);
        // A placeholder date (SPEC 4) is blank here too: it never beats a real update.
        let u = upd
            .as_ref()
            .and_then(|u| u.get(i))
            .filter(|s| !crate::time::is_placeholder_date(s))
            .and_then(|s| parser.parse(s).ok())
            .map_or(i64::MIN, |(ms, _)| ms);
        match best.get_mut(id) {
            None => {
                best.insert(id, (u, row));
            }
            Some(prev) => {
                if (u, row) >= *prev {
                    losers.insert(prev.1);
                    *prev = (u, row);
                } else {
                    losers.insert(row);
                }
            }
        }
    }
    Ok(losers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_hashes_finds_every_repeat_across_parts() {
        // 200,000 distinct hashes spread over the whole u64 range, plus three repeated ones
        // (one with the top bit set, one without, one three times).
        let mut v: Vec<u64> = (0..200_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let (a, b, c) = (v[10], v[20], v[30]);
        assert!(a >> 63 != b >> 63 || a >> 63 != c >> 63);
        v.extend([a, b, c, c]);
        let r = repeated_hashes(v);
        assert_eq!(r, HashSet::from([a, b, c]));
        assert!(repeated_hashes(vec![1, 2, 3]).is_empty());
        assert_eq!(repeated_hashes(vec![5, 1, 5]), HashSet::from([5]));
    }
}
