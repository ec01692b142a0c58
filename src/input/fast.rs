//! The record-aligned parallel CSV reader (SPEC 8): one pass over a regular CSV file on
//! every core, handing each record's needed fields to a visitor, with the structural checks
//! of the fast path (every record the header's width, quotes only around whole fields, UTF-8,
//! no NUL, no lone CR, no blank line) made in the same pass. A file that fails a check is
//! left to the careful reader ([`crate::input::tokenizer`]): the visit is abandoned and the
//! caller takes the usual path.
//!
//! The file is cut into chunks at raw offsets; the quote parity of every raw chunk (counted
//! in parallel) gives the true quote state at each cut, so each chunk starts at the first
//! record boundary after its cut, exactly, even inside quoted newlines.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A memory map of a whole file (or an empty slice for an empty file).
pub struct Mapped {
    map: Option<memmap2::Mmap>,
}

impl Mapped {
    pub fn open(path: &Path) -> Option<Mapped> {
        let f = File::open(path).ok()?;
        if f.metadata().ok()?.len() == 0 {
            return Some(Mapped { map: None });
        }
        // SAFETY: the map is only read; a file changed meanwhile gives wrong cells at worst,
        // which the checks of the pass (or the careful reader) then meet.
        let map = unsafe { memmap2::Mmap::map(&f) }.ok()?;
        Some(Mapped { map: Some(map) })
    }

    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Drop the pages of `bytes()[from..to]` from the process (they stay in the page cache),
    /// so that the resident memory of a pass does not grow with the file (SPEC 8). The
    /// range must not be read again while a borrow of it lives; [`visit_mapped`] releases a
    /// piece only after its visitor is done with it and nothing borrowed from it is kept.
    pub fn release(&self, from: usize, to: usize) {
        const PAGE: usize = 4096;
        let Some(map) = &self.map else {
            return;
        };
        let (start, end) = (from.div_ceil(PAGE) * PAGE, to / PAGE * PAGE);
        if end > start {
            // SAFETY: a read-only file mapping; a page touched again is read back from the
            // file, and no reference into the range outlives the piece that used it.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
}

/// Whether the parallel reader may read `sources`: every one a CSV file on disk not read
/// into memory already (by the careful reader or a preset), and `CXM_NO_FAST` unset (it
/// sends every file through polars, for comparisons).
pub fn eligible(sources: &[crate::input::Source]) -> bool {
    std::env::var_os("CXM_NO_FAST").is_none()
        && sources
            .iter()
            .all(|s| s.format == crate::input::Format::Csv && s.table.is_none())
}

/// Threads for a pass.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
}

/// The end of the header record (the first record, quotes respected) and its width, or
/// `None` when the file has no complete header line.
/// `None` too when the header is not regular (a lone CR, a NUL byte, invalid UTF-8): the
/// careful reader's case.
pub fn header_end(bytes: &[u8], delim: u8) -> Option<(usize, usize)> {
    let mut in_q = false;
    let mut width = 1;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // Quotes only around whole names (`""` inside them), as in the records.
            b'"' if !in_q && i > 0 && bytes[i - 1] != delim && bytes[i - 1] != b'"' => return None,
            b'"' if in_q
                && !matches!(
                    bytes.get(i + 1),
                    None | Some(b'"') | Some(b'\n') | Some(b'\r')
                )
                && bytes.get(i + 1) != Some(&delim) =>
            {
                return None
            }
            b'"' => in_q = !in_q,
            b'\n' if !in_q => {
                // A blank first line is no header (the careful reader looks further).
                let line = &bytes[..i];
                let blank = line.iter().all(|&c| c == b'\r' || c == b' ' || c == b'\t');
                return (!blank && std::str::from_utf8(line).is_ok()).then_some((i + 1, width));
            }
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => return None,
            0 => return None,
            _ if b == delim && !in_q => width += 1,
            _ => {}
        }
    }
    None
}

/// Record-aligned chunk boundaries of `bytes[start..]`: `parts + 1` offsets from `start` to
/// `bytes.len()`, each after a line break outside quotes (or the end).
pub fn boundaries(
    bytes: &[u8],
    start: usize,
    parts: usize,
    release: &(impl Fn(usize, usize) + Sync),
) -> Vec<usize> {
    let len = bytes.len() - start;
    let raw: Vec<usize> = (0..=parts).map(|k| start + len * k / parts).collect();
    // Quote parity of every raw chunk, in parallel.
    let mut odd = vec![false; parts];
    std::thread::scope(|s| {
        let per = parts.div_ceil(threads());
        for (ci, slots) in odd.chunks_mut(per).enumerate() {
            let raw = &raw;
            s.spawn(move || {
                for (k, slot) in slots.iter_mut().enumerate() {
                    let i = ci * per + k;
                    let n = memchr::memchr_iter(b'"', &bytes[raw[i]..raw[i + 1]]).count();
                    *slot = n % 2 == 1;
                    release(raw[i], raw[i + 1]);
                }
            });
        }
    });
    let mut out = vec![start];
    let mut in_q = false;
    for k in 1..parts {
        in_q ^= odd[k - 1];
        // The first line break outside quotes at or after the cut.
        let mut q = in_q;
        let mut pos = raw[k];
        let next = loop {
            match memchr::memchr2(b'"', b'\n', &bytes[pos..]) {
                None => break bytes.len(),
                Some(o) => {
                    let i = pos + o;
                    if bytes[i] == b'"' {
                        q = !q;
                    } else if !q {
                        break i + 1;
                    }
                    pos = i + 1;
                }
            }
        };
        out.push(next.max(*out.last().unwrap_or(&start)));
    }
    out.push(bytes.len());
    out
}

/// Why the fast pass gave up: the file needs the careful reader.
#[derive(Debug)]
pub struct Irregular;

/// The cells of one record that a visitor asked for (`None`: empty); a cell is borrowed from
/// the file unless it held `""` escapes.
pub type Cells<'a> = [Option<Cow<'a, str>>];

/// Visit every data record of the regular CSV text `bytes` (header included) in parallel
/// chunks: `init` makes one state per chunk, `visit` gets the fields at `needed` (header
/// positions). Returns the states in file order and the number of records, or `Irregular`
/// when a record breaks a rule of the fast path (then nothing the states hold is used).
/// A pass may be made twice (when a guessed cut fell inside quotes): a visitor keeps what
/// it finds in its state, never elsewhere.
pub fn visit<S: Send>(
    bytes: &[u8],
    delim: u8,
    needed: &[usize],
    init: impl Fn() -> S + Sync,
    visit: impl Fn(&mut S, &Cells<'_>) + Sync,
) -> Result<(Vec<S>, u64), Irregular> {
    visit_releasing(bytes, delim, needed, |_| init(), visit, |_, _| {}, None)
}

/// [`visit`] over a mapped file, releasing each piece's pages once it is read. `init` gets
/// the piece's number (pieces are in file order, and the same for the same file, so a
/// second pass can give each record its global position from the first pass's counts).
pub fn visit_mapped<S: Send>(
    map: &Mapped,
    delim: u8,
    needed: &[usize],
    init: impl Fn(usize) -> S + Sync,
    visit: impl Fn(&mut S, &Cells<'_>) + Sync,
) -> Result<(Vec<S>, u64), Irregular> {
    let bom = map.bytes().len() - crate::input::read::strip_bom(map.bytes()).len();
    visit_releasing(
        map.bytes(),
        delim,
        needed,
        init,
        visit,
        |a, b| map.release(a + bom, b + bom),
        None,
    )
}

/// [`visit_mapped`] over every input in turn: `needed(f)` are input `f`'s header positions,
/// `init(f, piece)` and `visit(f, state, cells)` know the input. Per input, its pieces'
/// states (in file order) and its number of records; `None` when an input cannot be mapped
/// or is not regular (the caller takes another path; nothing the states hold is used).
pub fn visit_inputs<S: Send>(
    sources: &[crate::input::Source],
    needed: impl Fn(usize) -> Vec<usize>,
    init: impl Fn(usize, usize) -> S + Sync,
    visit: impl Fn(usize, &mut S, &Cells<'_>) + Sync,
) -> Option<Vec<(Vec<S>, u64)>> {
    let mut out = Vec::with_capacity(sources.len());
    for (f, src) in sources.iter().enumerate() {
        let map = Mapped::open(&src.path)?;
        let read = visit_mapped(
            &map,
            src.delimiter,
            &needed(f),
            |piece| init(f, piece),
            |st, c| visit(f, st, c),
        );
        out.push(read.ok()?);
    }
    Some(out)
}

/// Pieces of at most this many bytes (and at least 4 per thread).
const PIECE: usize = 8 << 20;

fn visit_releasing<S: Send>(
    bytes: &[u8],
    delim: u8,
    needed: &[usize],
    init: impl Fn(usize) -> S + Sync,
    visit: impl Fn(&mut S, &Cells<'_>) + Sync,
    release: impl Fn(usize, usize) + Sync,
    parts: Option<usize>,
) -> Result<(Vec<S>, u64), Irregular> {
    let bytes = crate::input::read::strip_bom(bytes);
    let (start, width) = header_end(bytes, delim).ok_or(Irregular)?;
    let body = bytes.len() - start;
    // `parts` is given by tests only: any number of pieces must give the same records.
    let parts = parts.unwrap_or(if body < 1 << 20 {
        1
    } else {
        (threads() * 4).max(body.div_ceil(PIECE))
    });
    // Cuts right after the first line break past each raw offset; a cut that falls inside a
    // quoted field makes the chunk before it end inside quotes, which that chunk's check
    // finds, and then the exact cuts (from the quote parity) are taken.
    let guess = guessed_boundaries(bytes, start, parts);
    let first = run(bytes, &guess, delim, width, needed, &init, &visit, &release);
    if first.is_ok() || parts == 1 {
        return first;
    }
    let cuts = boundaries(bytes, start, parts, &release);
    run(bytes, &cuts, delim, width, needed, &init, &visit, &release)
}

/// Cuts after the first line break at or after each raw offset (quotes not considered).
fn guessed_boundaries(bytes: &[u8], start: usize, parts: usize) -> Vec<usize> {
    let len = bytes.len() - start;
    let mut out = vec![start];
    for k in 1..parts {
        let raw = (start + len * k / parts).max(*out.last().unwrap_or(&start));
        let cut = memchr::memchr(b'\n', &bytes[raw..]).map_or(bytes.len(), |o| raw + o + 1);
        out.push(cut);
    }
    out.push(bytes.len());
    out
}

/// One pass over the pieces between `cuts`, on every core.
#[allow(clippy::too_many_arguments)]
fn run<S: Send>(
    bytes: &[u8],
    cuts: &[usize],
    delim: u8,
    width: usize,
    needed: &[usize],
    init: &(impl Fn(usize) -> S + Sync),
    visit: &(impl Fn(&mut S, &Cells<'_>) + Sync),
    release: &(impl Fn(usize, usize) + Sync),
) -> Result<(Vec<S>, u64), Irregular> {
    crate::progress::reading(bytes.len() as u64);
    let out = on_pieces(cuts.len() - 1, init, |k, state| {
        let (from, to) = (cuts[k], cuts[k + 1]);
        let result = chunk(bytes, from, to, delim, width, needed, state, visit);
        release(from, to);
        result
    });
    crate::progress::read_done();
    out
}

/// Pieces `0..parts` on every core, each taken by the next free thread: `init(k)` makes
/// piece k's state and `work(k, state)` reads it (its number of records, or `Irregular`,
/// which stops the other threads at their next piece). The states in piece order and the
/// records of all; shared by the CSV and NDJSON passes.
pub fn on_pieces<S: Send>(
    parts: usize,
    init: &(impl Fn(usize) -> S + Sync),
    work: impl Fn(usize, &mut S) -> Result<u64, Irregular> + Sync,
) -> Result<(Vec<S>, u64), Irregular> {
    let failed = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<(S, u64)>> = (0..parts).map(|_| None).collect();
    let slots: Vec<std::sync::Mutex<&mut Option<(S, u64)>>> =
        results.iter_mut().map(std::sync::Mutex::new).collect();
    std::thread::scope(|s| {
        for _ in 0..threads().min(parts) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= parts || failed.load(Ordering::Relaxed) {
                    return;
                }
                let mut state = init(k);
                match work(k, &mut state) {
                    Ok(n) => {
                        if let Ok(mut slot) = slots[k].lock() {
                            **slot = Some((state, n));
                        }
                    }
                    Err(Irregular) => failed.store(true, Ordering::Relaxed),
                }
            });
        }
    });
    drop(slots);
    if failed.load(Ordering::Relaxed) {
        return Err(Irregular);
    }
    let mut states = Vec::with_capacity(parts);
    let mut rows = 0;
    for r in results {
        let (s, n) = r.ok_or(Irregular)?;
        states.push(s);
        rows += n;
    }
    Ok((states, rows))
}

/// One chunk `bytes[from..to]` (record-aligned): checks and visits its records.
#[allow(clippy::too_many_arguments)]
fn chunk<S>(
    bytes: &[u8],
    from: usize,
    to: usize,
    delim: u8,
    width: usize,
    needed: &[usize],
    state: &mut S,
    visit: &impl Fn(&mut S, &Cells<'_>),
) -> Result<u64, Irregular> {
    let text = &bytes[from..to];
    if simdutf8::basic::from_utf8(text).is_err() {
        return Err(Irregular);
    }
    // No NUL byte, and a CR only before a LF: one search for both.
    if memchr::memchr2_iter(0, b'\r', text).any(|i| text[i] == 0 || text.get(i + 1) != Some(&b'\n'))
    {
        return Err(Irregular);
    }
    // Where each needed field goes (usize::MAX: not needed).
    let mut slot_of = vec![usize::MAX; width];
    for (k, &i) in needed.iter().enumerate() {
        if i >= width {
            return Err(Irregular);
        }
        slot_of[i] = k;
    }
    let mut spans: Vec<(usize, usize, bool)> = vec![(0, 0, false); needed.len()];
    let mut cells: Vec<Option<Cow<'_, str>>> = vec![None; needed.len()];
    let mut pos = 0usize;
    let mut rows = 0u64;
    let n = text.len();
    let mut reported = 0usize;
    while pos < n {
        if pos - reported >= 1 << 22 {
            crate::progress::advance((pos - reported) as u64);
            reported = pos;
        }
        // Runs of records without quotes, 64 bytes at a time; a record with a quote is read
        // by the code below, and then the runs go on.
        pos = plain_records(
            text,
            pos,
            delim,
            width,
            &slot_of,
            &mut spans,
            &mut cells,
            &mut rows,
            &mut reported,
            state,
            visit,
        )?;
        if pos >= n {
            break;
        }
        let line_start = pos;
        let mut field = 0usize;
        // A record holding a quote (`plain_records` stopped at its start): field by field.
        loop {
            let (s, e, escaped);
            if text[pos] == b'"' {
                // A quoted field: to the closing quote (`""` toggles twice).
                let mut k = pos + 1;
                let mut doubled = false;
                loop {
                    let q = k + memchr::memchr(b'"', &text[k..]).ok_or(Irregular)?;
                    if text.get(q + 1) == Some(&b'"') {
                        doubled = true;
                        k = q + 2;
                        continue;
                    }
                    s = pos + 1;
                    e = q;
                    pos = q + 1;
                    break;
                }
                escaped = doubled;
                // After the closing quote: a delimiter or the line end.
                match text.get(pos) {
                    None | Some(b'\n') => {}
                    Some(b'\r') if text.get(pos + 1) == Some(&b'\n') => {}
                    Some(&c) if c == delim => {}
                    _ => return Err(Irregular),
                }
            } else {
                let end = memchr::memchr3(delim, b'\n', b'"', &text[pos..]).map_or(n, |o| pos + o);
                if end < n && text[end] == b'"' {
                    // A quote inside an unquoted field: the careful reader's case.
                    return Err(Irregular);
                }
                s = pos;
                // A CRLF line end: the CR is no part of the field.
                e = if end > pos && end < n && text[end] == b'\n' && text[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                escaped = false;
                pos = end;
            }
            if let Some(&k) = slot_of.get(field) {
                if k != usize::MAX {
                    spans[k] = (s, e, escaped);
                }
            }
            field += 1;
            if pos >= n {
                break;
            }
            let c = text[pos];
            pos += 1;
            if c == b'\n' {
                break;
            }
            if c == b'\r' {
                // CRLF after a closing quote.
                pos += 1;
                break;
            }
            if pos >= n {
                // A delimiter at the very end: one more (empty) field.
                if let Some(&k) = slot_of.get(field) {
                    if k != usize::MAX {
                        spans[k] = (n, n, false);
                    }
                }
                field += 1;
                break;
            }
        }
        // A blank line, or a record of another width: the careful reader's case.
        let blank = field == 1 && {
            let e = pos.min(n);
            text[line_start..e]
                .iter()
                .all(|&b| b == b'\n' || b == b'\r')
        };
        if blank || field != width {
            return Err(Irregular);
        }
        emit(text, &spans, &mut cells);
        visit(state, &cells);
        rows += 1;
    }
    crate::progress::advance((n - reported) as u64);
    Ok(rows)
}

/// The bit masks of the delimiters, line feeds and quotes among the 64 bytes at `p[0..64]`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(p: &[u8], delim: u8) -> (u64, u64, u64) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    assert!(p.len() >= 64);
    let (mut md, mut mn, mut mq) = (0u64, 0u64, 0u64);
    // SAFETY: SSE2 is part of every x86_64 target; the four 16-byte loads stay within
    // `p[0..64]`, checked above.
    unsafe {
        let (d, nl, q) = (
            _mm_set1_epi8(delim as i8),
            _mm_set1_epi8(b'\n' as i8),
            _mm_set1_epi8(b'"' as i8),
        );
        for k in 0..4 {
            let v = _mm_loadu_si128(p.as_ptr().add(16 * k).cast());
            let bits = |m| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
            md |= bits(_mm_cmpeq_epi8(v, d));
            mn |= bits(_mm_cmpeq_epi8(v, nl));
            mq |= bits(_mm_cmpeq_epi8(v, q));
        }
    }
    (md, mn, mq)
}

#[cfg(not(target_arch = "x86_64"))]
fn masks(p: &[u8], delim: u8) -> (u64, u64, u64) {
    let (mut md, mut mn, mut mq) = (0u64, 0u64, 0u64);
    for (i, &b) in p[..64].iter().enumerate() {
        md |= u64::from(b == delim) << i;
        mn |= u64::from(b == b'\n') << i;
        mq |= u64::from(b == b'"') << i;
    }
    (md, mn, mq)
}

/// Reads the records of `text` from `pos` (a record start) while they hold no quote, 64
/// bytes at a time: the delimiter and line-feed bits of each block give the fields. Returns
/// where it stopped: the end of the text, or the start of the first record with a quote
/// (which the caller reads). The same checks as the caller's: every record the header's
/// width, no blank line.
#[allow(clippy::too_many_arguments)]
fn plain_records<'t, S>(
    text: &'t [u8],
    pos: usize,
    delim: u8,
    width: usize,
    slot_of: &[usize],
    spans: &mut [(usize, usize, bool)],
    cells: &mut [Option<Cow<'t, str>>],
    rows: &mut u64,
    reported: &mut usize,
    state: &mut S,
    visit: &impl Fn(&mut S, &Cells<'_>),
) -> Result<usize, Irregular> {
    let n = text.len();
    // The end of a record at `end`: its last field, the checks, the visit.
    let mut end_record = |field: usize,
                          line_start: usize,
                          s: usize,
                          end: usize,
                          spans: &mut [(usize, usize, bool)]|
     -> Result<(), Irregular> {
        if field == 0
            && text[line_start..end]
                .iter()
                .all(|&c| c == b' ' || c == b'\t')
        {
            // A blank line: the careful reader's case.
            return Err(Irregular);
        }
        if let Some(&k) = slot_of.get(field) {
            if k != usize::MAX {
                spans[k] = (s, end, false);
            }
        }
        if field + 1 != width {
            return Err(Irregular);
        }
        emit(text, spans, cells);
        visit(state, cells);
        *rows += 1;
        Ok(())
    };
    let mut line_start = pos;
    let mut field = 0usize;
    let mut s = pos;
    let mut base = pos;
    let mut tail = [0u8; 64];
    while base < n {
        let block: &[u8] = if n - base >= 64 {
            &text[base..base + 64]
        } else {
            // The last, short block (once): zeros after the text match nothing.
            tail[..n - base].copy_from_slice(&text[base..]);
            &tail
        };
        let (md, mn, mq) = masks(block, delim);
        let mut bits = md | mn | mq;
        while bits != 0 {
            let tz = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let i = base + tz;
            if mq >> tz & 1 != 0 {
                // A quote: this record is the caller's.
                return Ok(line_start);
            }
            if md >> tz & 1 != 0 {
                if let Some(&k) = slot_of.get(field) {
                    if k != usize::MAX {
                        spans[k] = (s, i, false);
                    }
                }
                field += 1;
                s = i + 1;
                continue;
            }
            // A line feed: the record ends (a CRLF's CR is no part of the last field).
            let end = if i > s && text[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            end_record(field, line_start, s, end, spans)?;
            field = 0;
            s = i + 1;
            line_start = i + 1;
        }
        base += 64;
        if base - *reported >= 1 << 22 {
            crate::progress::advance((base - *reported) as u64);
            *reported = base;
        }
    }
    if line_start < n {
        // The last record, without a line feed.
        end_record(field, line_start, s, n, spans)?;
    }
    Ok(n)
}

/// Duplicate rows for a second parallel pass: the global row numbers to count as
/// `duplicate` (as [`crate::input::dedup::duplicate_losers`] gives them), and where each
/// piece of each input starts in that numbering (from the first pass's counts).
pub struct DupMask {
    pub losers: std::sync::Arc<std::collections::HashSet<u32>>,
    pub starts: Vec<Vec<u64>>,
}

impl DupMask {
    /// From the records per piece of each input, in input order.
    pub fn new(
        losers: std::sync::Arc<std::collections::HashSet<u32>>,
        pieces: &[Vec<u64>],
    ) -> DupMask {
        let mut at = 0u64;
        let starts = pieces
            .iter()
            .map(|input| {
                input
                    .iter()
                    .map(|&n| {
                        let s = at;
                        at += n;
                        s
                    })
                    .collect()
            })
            .collect();
        DupMask { losers, starts }
    }

    /// Whether record `local` of piece `piece` of input `input` is a duplicate.
    pub fn is_dup(&self, input: usize, piece: usize, local: u64) -> bool {
        let g = self.starts[input].get(piece).copied().unwrap_or(0) + local;
        u32::try_from(g).is_ok_and(|g| self.losers.contains(&g))
    }
}

/// Distinct unreadable texts a piece remembers per column (for the `--na-values` hint).
const BAD_TEXTS: usize = 10_000;

/// Count one unreadable cell text (trimmed) for the `--na-values` hint; a piece keeps at
/// most [`BAD_TEXTS`] distinct texts.
pub fn note_bad_text(m: &mut rustc_hash::FxHashMap<String, u64>, cell: Option<&str>) {
    let Some(t) = cell.map(str::trim).filter(|t| !t.is_empty()) else {
        return;
    };
    let room = m.len() < BAD_TEXTS;
    match m.get_mut(t) {
        Some(n) => *n += 1,
        None if room => {
            m.insert(t.to_string(), 1);
        }
        None => {}
    }
}

/// A group key of the parallel passes: an outcome code and the `--by` cells, as bytes (one
/// allocation per new group, none per record).
pub fn group_key(key: &mut Vec<u8>, code: i64, by: &Cells<'_>) {
    key.clear();
    key.extend_from_slice(&code.to_le_bytes());
    for x in by {
        match x.as_deref() {
            None => key.push(0),
            Some(v) => {
                key.push(1);
                key.extend_from_slice(&(v.len() as u32).to_le_bytes());
                key.extend_from_slice(v.as_bytes());
            }
        }
    }
}

/// The outcome code of a [`group_key`], and its `--by` cells pushed onto `by`.
pub fn split_key(key: &[u8], by: &mut [Vec<Option<String>>]) -> i64 {
    let code = i64::from_le_bytes(key[..8].try_into().unwrap_or([0; 8]));
    let mut p = 8;
    for b in by.iter_mut() {
        if key[p] == 0 {
            b.push(None);
            p += 1;
        } else {
            let n = u32::from_le_bytes(key[p + 1..p + 5].try_into().unwrap_or([0; 4])) as usize;
            b.push(Some(
                String::from_utf8_lossy(&key[p + 5..p + 5 + n]).into_owned(),
            ));
            p += 5 + n;
        }
    }
    code
}

/// The cells of one record from their spans in the chunk `text`.
fn emit<'t>(text: &'t [u8], spans: &[(usize, usize, bool)], cells: &mut [Option<Cow<'t, str>>]) {
    for (k, &(s, e, escaped)) in spans.iter().enumerate() {
        // SAFETY: the chunk was checked to be UTF-8, and a field starts and ends next to
        // ASCII bytes (delimiter, quote, line break) or the chunk's ends, which are record
        // boundaries: the slice is UTF-8 too.
        let t = unsafe { std::str::from_utf8_unchecked(&text[s..e]) };
        let cell = &mut cells[k];
        if escaped {
            *cell = Some(Cow::Owned(t.replace("\"\"", "\"")));
        } else if t.is_empty() {
            *cell = None;
        } else if let Some(Cow::Borrowed(b)) = cell {
            // The usual case, written in place (building a new `Cow` on the stack and
            // copying it in stalled the store; measured 12 % of a survey pass).
            *b = t;
        } else {
            *cell = Some(Cow::Borrowed(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record's needed cells, through `visit`, with `parts` forced by a large file.
    fn all(text: &[u8], needed: &[usize]) -> Result<Vec<Vec<Option<String>>>, Irregular> {
        let (states, rows) = visit(
            text,
            b',',
            needed,
            Vec::new,
            |s: &mut Vec<Vec<Option<String>>>, c| {
                s.push(c.iter().map(|x| x.as_deref().map(str::to_string)).collect())
            },
        )?;
        let out: Vec<_> = states.into_iter().flatten().collect();
        assert_eq!(out.len() as u64, rows);
        Ok(out)
    }

    /// Every record's cells (all columns) cut into `parts` pieces.
    fn in_parts(
        text: &[u8],
        width: usize,
        parts: usize,
    ) -> Result<Vec<Vec<Option<String>>>, Irregular> {
        let needed: Vec<usize> = (0..width).collect();
        let (states, rows) = visit_releasing(
            text,
            b',',
            &needed,
            |_| Vec::new(),
            |s: &mut Vec<Vec<Option<String>>>, c| {
                s.push(c.iter().map(|x| x.as_deref().map(str::to_string)).collect())
            },
            |_, _| {},
            Some(parts),
        )?;
        let out: Vec<_> = states.into_iter().flatten().collect();
        assert_eq!(out.len() as u64, rows);
        Ok(out)
    }

    use proptest::prelude::*;

    proptest! {
        /// The pieces give exactly the records of a serial read, however many there are and
        /// wherever the cuts fall: quoted newlines (LF and CRLF), `""` and delimiters inside
        /// quotes are at every boundary somewhere.
        #[test]
        fn any_number_of_pieces_gives_the_serial_records(
            rows in proptest::collection::vec(
                (0u32..1000, prop::sample::select(vec!["plain", "a,b", "say \"hi\"", "two\nlines", "crlf\r\nline", "", "\"\"", "x\n\n\ny"]), 0u8..11),
                1..120),
            parts in 1usize..500,
        ) {
            let mut text = b"id,note,score\n".to_vec();
            for (id, note, score) in &rows {
                let q = format!("\"{}\"", note.replace('"', "\"\""));
                text.extend_from_slice(format!("{id},{q},{score}\n").as_bytes());
            }
            let serial = crate::input::tokenizer::parse(&text, b',', 1, "t.csv").unwrap();
            let got = in_parts(&text, 3, parts).unwrap();
            prop_assert_eq!(got, serial.table.rows);
        }

        /// Random byte mutations: the parallel reader either leaves the text to the careful
        /// reader or reads exactly the careful reader's records.
        #[test]
        fn mutated_text_is_read_like_the_careful_reader_or_left_to_it(
            edits in proptest::collection::vec((0usize..400, prop::sample::select(
                vec![b'"', b',', b'\n', b'\r', 0u8, 0xff, b' ', b'x'])), 0..6),
            parts in 1usize..40,
        ) {
            let mut text = b"id,note,score\n".to_vec();
            for i in 0..20 {
                text.extend_from_slice(format!("{i},\"n \"\"{i}\"\"\nx\",{}\n", i % 11).as_bytes());
            }
            for (at, byte) in edits {
                let at = at % text.len();
                text[at] = byte;
            }
            let Ok(careful) = crate::input::tokenizer::parse(&text, b',', 1, "m.csv") else {
                return Ok(());
            };
            let width = careful.table.headers.len();
            if let Ok(got) = in_parts(&text, width, parts) {
                prop_assert!(careful.preamble.is_empty() && careful.footer.is_empty());
                prop_assert!(careful.table.malformed.iter().all(Option::is_none));
                prop_assert_eq!(got, careful.table.rows);
            }
        }
    }

    #[test]
    fn reads_quoted_fields_and_crlf() {
        let got = all(
            b"a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,,\"line\none\"\r\n",
            &[2, 0],
        )
        .unwrap();
        assert_eq!(
            got,
            [
                vec![Some("say \"hi\"".into()), Some("1".into())],
                vec![Some("line\none".into()), Some("2".into())],
            ]
        );
    }

    #[test]
    fn a_delimiter_at_the_very_end_is_an_empty_last_field() {
        // Found by the fuzzer: after a quoted field, a delimiter that ends the file (no line
        // break) left the last field holding the previous record's value.
        let text = b"a,b,c\n\"1\",\"2\",3\n\"4\",\"5\",";
        let got = all(text, &[0, 1, 2]).unwrap();
        assert_eq!(
            got,
            [
                vec![Some("1".into()), Some("2".into()), Some("3".into())],
                vec![Some("4".into()), Some("5".into()), None],
            ]
        );
        // The same without quotes (the 64-byte path).
        let got = all(b"a,b,c\n1,2,3\n4,5,", &[0, 1, 2]).unwrap();
        assert_eq!(got[1], vec![Some("4".into()), Some("5".into()), None]);
    }

    #[test]
    fn leaves_irregular_files_to_the_careful_reader() {
        for t in [
            // A blank line before the header, and a line of tabs in a one-column file
            // (both found by the fuzzer).
            &b"\n1\n"[..],
            b"a\n1\n\t\t\n",
            b"a,b\n1\n",
            b"a,b\n1,2,3\n",
            b"a,b\n1,x\"y\n",
            b"a,b\n1,\"x\"y\n",
            b"a,b\n\n1,2\n",
            b"a,b\r1,2\r",
            b"a,b\n1,\xff\n",
            b"a,b\n1,\"open\n",
        ] {
            assert!(all(t, &[0, 1]).is_err(), "{:?}", String::from_utf8_lossy(t));
        }
    }

    #[test]
    fn chunk_boundaries_fall_between_records_even_inside_quotes() {
        // A big file with quoted newlines and `""` everywhere: every chunking gives the
        // records of a serial read.
        let mut text = b"id,note,score\n".to_vec();
        for i in 0..60_000 {
            text.extend_from_slice(format!("{i},\"a \"\"b\"\"\nc, d\",{}\n", i % 11).as_bytes());
        }
        let serial = crate::input::tokenizer::parse(&text, b',', 1, "t.csv").unwrap();
        let got = all(&text, &[0, 1, 2]).unwrap();
        assert_eq!(got.len(), serial.table.rows.len());
        for (g, s) in got.iter().zip(&serial.table.rows) {
            assert_eq!(g, s);
        }
        for parts in [1, 2, 7, 64, 500] {
            let b = boundaries(&text, header_end(&text, b',').unwrap().0, parts, &|_, _| {});
            assert_eq!(b.len(), parts + 1);
            for w in b.windows(2) {
                assert!(w[0] <= w[1]);
            }
            // Each boundary is a record start of the serial read.
            let starts: std::collections::HashSet<usize> = {
                let mut v = vec![];
                let mut pos = header_end(&text, b',').unwrap().0;
                for r in &serial.table.rows {
                    v.push(pos);
                    let note = r[1].as_deref().unwrap();
                    pos += format!(
                        "{},\"{}\",{}\n",
                        r[0].as_deref().unwrap(),
                        note.replace('"', "\"\""),
                        r[2].as_deref().unwrap()
                    )
                    .len();
                }
                v.push(text.len());
                v.into_iter().collect()
            };
            assert!(b.iter().all(|x| starts.contains(x)), "parts {parts}");
        }
    }
}
