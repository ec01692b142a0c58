//! Duplicate ids (SPEC 4): which rows lose to a later copy of the same id. Ids are hashed
//! first; only when a hash repeats are the rows read again and compared exactly.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use crate::error::err;
use crate::input::{collect, Source};
use crate::time::TimeParser;

/// A 64-bit hash of an id (XXH3): a collision only costs an exact comparison later. XXH3
/// reads short ids in a few wide loads (FNV-1a's byte-at-a-time chain was 6 % of a survey
/// pass) and mixes them fully, so that the top bits that pick a bucket of
/// [`repeated_hashes`] and
/// the bits that pick a table slot are both spread.
pub fn id_hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// Add the hash of `id` to a piece's hashes. The first one reserves room for a large
/// file's piece (about 170,000 ids in 8 MB), so that the vector seldom grows by copying;
/// room never written costs no memory.
#[inline]
pub fn push_hash(hashes: &mut Vec<u64>, id: &str) {
    if hashes.capacity() == 0 {
        hashes.reserve(1 << 17);
    }
    hashes.push(id_hash(id));
}

/// Buckets of [`repeated_hashes`]: by the top 8 bits of a hash.
const BUCKET_BITS: u32 = 8;

/// The id hashes that occur more than once among all `parts` (the hashes of each piece of a
/// read, in any order). On every core, in two steps: each part is scattered by the top bits
/// of its hashes into 256 buckets (equal hashes share a bucket; a part is small enough for
/// the cache), then bucket by bucket the hashes of every part go into one open-addressing
/// table, also small enough for the cache: a hash met again is a repeat. No sort, and no
/// gathering of all hashes into one vector.
pub fn repeated_hashes(parts: Vec<Vec<u64>>) -> HashSet<u64> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const BUCKETS: usize = 1 << BUCKET_BITS;
    let total: usize = parts.iter().map(Vec::len).sum();
    if total < 2 {
        return HashSet::new();
    }
    let threads = if total < 1 << 16 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    let on_all_cores = |job: &(dyn Fn() + Sync)| {
        if threads < 2 {
            job();
        } else {
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(job);
                }
            });
        }
    };
    // 1. Order each part by bucket, in place (American flag order: no second copy of the
    // hashes): (its hashes in bucket order, where each bucket starts).
    type Scattered = (Vec<u64>, Vec<usize>);
    let slots: Vec<std::sync::Mutex<Option<Scattered>>> =
        parts.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let parts: Vec<std::sync::Mutex<Vec<u64>>> =
        parts.into_iter().map(std::sync::Mutex::new).collect();
    let next = AtomicUsize::new(0);
    on_all_cores(&|| loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(part) = parts.get(k) else {
            return;
        };
        let mut part = part
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        let mut starts = vec![0usize; BUCKETS + 1];
        for &h in &part {
            starts[(h >> (64 - BUCKET_BITS)) as usize + 1] += 1;
        }
        for b in 1..=BUCKETS {
            starts[b] += starts[b - 1];
        }
        let mut at = starts.clone();
        let bucket_of = |h: u64| (h >> (64 - BUCKET_BITS)) as usize;
        for b in 0..BUCKETS {
            while at[b] < starts[b + 1] {
                let mut h = part[at[b]];
                let mut t = bucket_of(h);
                // Carry the hash to its bucket, taking the one found there, until one of
                // bucket `b` comes back.
                while t != b {
                    std::mem::swap(&mut h, &mut part[at[t]]);
                    at[t] += 1;
                    t = bucket_of(h);
                }
                part[at[b]] = h;
                at[b] += 1;
            }
        }
        if let Ok(mut slot) = slots[k].lock() {
            *slot = Some((part, starts));
        }
    });
    let scattered: Vec<Scattered> = slots
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect();
    // 2. Bucket by bucket: one table for the bucket's hashes of every part.
    let found = std::sync::Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    on_all_cores(&|| {
        let mut mine = Vec::new();
        let mut table: Vec<u64> = Vec::new();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= BUCKETS {
                break;
            }
            fn bucket((v, starts): &Scattered, b: usize) -> &[u64] {
                &v[starts[b]..starts[b + 1]]
            }
            let n: usize = scattered.iter().map(|p| bucket(p, b).len()).sum();
            if n < 2 {
                continue;
            }
            // At most half full; slot 0 means empty, so the hash 0 is counted apart.
            let bits = (2 * n).next_power_of_two().trailing_zeros();
            table.clear();
            table.resize(1 << bits, 0);
            let mask = (1usize << bits) - 1;
            let mut zeros = 0u32;
            for &h in scattered.iter().flat_map(|p| bucket(p, b)) {
                if h == 0 {
                    zeros += 1;
                    if zeros == 2 {
                        mine.push(0);
                    }
                    continue;
                }
                let mut i = (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
                loop {
                    let t = table[i];
                    if t == 0 {
                        table[i] = h;
                        break;
                    }
                    if t == h {
                        mine.push(h);
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
        }
        if let Ok(mut f) = found.lock() {
            f.extend(mine);
        }
    });
    found.into_inner().unwrap_or_default().into_iter().collect()
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
    let repeated = repeated_hashes(vec![hv]);
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
        let one = |v: Vec<u64>| repeated_hashes(vec![v]);
        // 200,000 distinct hashes spread over the whole u64 range, plus three repeated ones
        // (one with the top bit set, one without, one three times).
        let mut v: Vec<u64> = (0..200_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let (a, b, c) = (v[10], v[20], v[30]);
        assert!(a >> 63 != b >> 63 || a >> 63 != c >> 63);
        v.extend([a, b, c, c]);
        assert_eq!(one(v.clone()), HashSet::from([a, b, c]));
        assert!(one(vec![1, 2, 3]).is_empty());
        assert_eq!(one(vec![5, 1, 5]), HashSet::from([5]));
        // The hash 0 (the table's empty slot) repeats like any other; once is no repeat.
        assert_eq!(one(vec![0, 7, 0, 0]), HashSet::from([0]));
        assert!(one(vec![0, 7]).is_empty());
        // Equal hashes in different parts (pieces of a read) are repeats too; hashes that
        // share a table slot (same bucket, many colliding low bits) are not.
        let (first, second): (Vec<u64>, Vec<u64>) = (v[..100_000].to_vec(), v[100_000..].to_vec());
        let parts = vec![first, Vec::new(), second];
        assert_eq!(repeated_hashes(parts), HashSet::from([a, b, c]));
        let crowded: Vec<u64> = (1..5_000u64).map(|i| (7u64 << 56) | (i << 20)).collect();
        assert!(one(crowded.clone()).is_empty());
        let mut again = crowded.clone();
        again.push(crowded[4_000]);
        assert_eq!(one(again), HashSet::from([crowded[4_000]]));
    }

    #[test]
    fn id_hash_tells_short_ids_apart() {
        // The ids of a large export (R0..R999999, numbers, UUID-like) give no equal hashes,
        // so no false repeat costs an exact pass.
        let ids: Vec<String> = (0..1_000_000u64)
            .map(|i| format!("R{i}"))
            .chain((0..500_000u64).map(|i| i.to_string()))
            .chain((0..200_000u64).map(|i| format!("{:08x}-aaaa-bbbb-cccc-{:012x}", i * 7, i)))
            .collect();
        let parts: Vec<Vec<u64>> = ids
            .chunks(100_000)
            .map(|c| c.iter().map(|s| id_hash(s)).collect())
            .collect();
        assert!(repeated_hashes(parts).is_empty());
        assert_ne!(id_hash("a"), id_hash("a "));
    }
}
