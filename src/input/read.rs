//! Opening inputs: format and delimiter detection, standard input, `.gz`, encodings, and the
//! structural check of CSV files (field counts, UTF-8) that polars' fast reader cannot make.
//!
//! Every input becomes a [`Source`]: a plain UTF-8 file polars can scan lazily (CSV, Parquet),
//! or an in-memory [`Table`] of text cells (JSON arrays, NDJSON, and CSV files whose records
//! need per-record handling because some are short).

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

use crate::error::err;
use crate::fail;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Parquet,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
        }
    }
}

/// How a record's position is written in messages: a physical line (CSV, NDJSON) or a
/// 0-based array index (JSON arrays, Parquet rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocKind {
    Line,
    Index,
}

/// Text cells of every record of one input, read into memory.
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Position of each row (line number, or index).
    pub locs: Vec<u64>,
    /// Records that could not be read as a row of the header's shape (SPEC 9): rejected with
    /// the reason given here, whatever their cells say.
    pub malformed: Vec<Option<Box<Malformed>>>,
}

/// Why a record is malformed: a reason code of SPEC 9 (`field_count`, `too_many_fields`,
/// `unclosed_quote`, `invalid_utf8`, `invalid_json`) and its detail; `raw` holds the record's
/// text when it could not be split into the header's cells (written as `cxm_raw`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub code: &'static str,
    pub detail: String,
    pub raw: Option<String>,
}

impl Malformed {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Box<Malformed> {
        Box::new(Malformed {
            code,
            detail: detail.into(),
            raw: None,
        })
    }
}

impl Table {
    /// Whether each record is malformed (the `__malformed` frame column).
    pub fn malformed_flags(&self) -> Vec<bool> {
        self.malformed.iter().map(Option::is_some).collect()
    }
}

/// Options that affect how inputs are opened.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub input_format: Option<String>,
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
}

/// One opened input.
pub struct Source {
    /// The path as the user gave it (`-` is shown as `<stdin>`).
    pub display: String,
    /// A plain UTF-8 (or Parquet) file to scan: the original, or a decoded temporary copy.
    pub path: PathBuf,
    pub format: Format,
    pub delimiter: u8,
    pub encoding: &'static str,
    pub headers: Vec<String>,
    /// Data rows (known after the structural check for CSV and for in-memory tables).
    pub rows: Option<u64>,
    /// In-memory cells (CSV needing per-record handling; JSON that needed its cells to be
    /// opened, or that a preset derives columns of).
    pub table: Option<Table>,
    /// JSON and NDJSON read lazily: whether each column holds a value in some record (the
    /// cells are read when the frame is built, only the needed columns).
    pub json_nonnull: Option<Vec<bool>>,
    /// A JSON document read lazily: its records array as the open step cut it.
    pub json_cuts: Option<std::sync::Arc<crate::input::json::DocCuts>>,
    pub loc_kind: LocKind,
    /// `false` for a CSV file whose first records looked regular and whose full structural
    /// check was left to the reader that visits it ([`open_all_deferred`], [`settle`]).
    pub checked: bool,
    /// Parquet columns whose values are nested (name, type): not readable as one cell.
    pub nested: Vec<NamedType>,
    /// How each column of a Parquet file becomes text (one per header; empty for text formats).
    pub kinds: Vec<crate::input::parquet::TextKind>,
    // Keeps a decoded/spooled temporary file alive as long as the source.
    _temp: Option<tempfile::TempPath>,
}

impl Source {
    /// `FILE:LINE` (or `FILE[index]`) for messages.
    pub fn position(&self, loc: u64) -> String {
        match self.loc_kind {
            LocKind::Line => format!("{}:{}", self.display, loc),
            LocKind::Index => format!("{}[{}]", self.display, loc),
        }
    }
}

pub fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => fail!("--delimiter {s:?}: give one ASCII character or `tab`"),
    }
}

/// Open every input: resolve format, decode, sniff the delimiter, read the header, and check
/// the CSV structure.
pub fn open_all(paths: &[String], opts: &ReadOptions) -> Result<Vec<Source>> {
    open_paths(paths, opts, false)
}

/// Like [`open_all`], but a CSV file whose first 64 KiB are regular is only opened: its
/// records are checked by the reader that visits them ([`crate::input::fast`]), or by
/// [`settle`] before any other reader.
pub fn open_all_deferred(paths: &[String], opts: &ReadOptions) -> Result<Vec<Source>> {
    open_paths(paths, opts, true)
}

/// The structural check [`open_all`] makes, for a source opened by [`open_all_deferred`]: for
/// NDJSON opened by its head, the full open step, which must find the head's columns (else
/// the run starts again: [`Reopen`]).
pub fn settle(src: &mut Source) -> Result<()> {
    if src.checked {
        return Ok(());
    }
    src.checked = true;
    if src.format == Format::Ndjson {
        use crate::input::json::{open_json, Opened};
        match open_json(&src.path, &src.display, src.format)? {
            Opened::Lazy(meta)
                if meta.format == src.format
                    && meta.headers == src.headers
                    && Some(&meta.nonnull) == src.json_nonnull.as_ref() =>
            {
                src.rows = Some(meta.rows);
                return Ok(());
            }
            _ => return Err(Reopen.into()),
        }
    }
    match quick_scan(&src.path, src.delimiter) {
        Some(scan) => {
            src.headers = scan.headers;
            src.rows = Some(scan.rows);
            Ok(())
        }
        None => check_csv(src),
    }
}

/// Set once a run is started again ([`Reopen`]): every input is then opened in full.
static NO_DEFER: AtomicBool = AtomicBool::new(false);

/// An NDJSON input opened by its head ([`crate::input::json::open_json_head`]) has columns
/// or values the head did not show, so the columns were mapped on too little: the run is
/// started again with every input opened in full (never seen by the user).
#[derive(Debug)]
pub struct Reopen;

impl std::fmt::Display for Reopen {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("internal: an input's columns changed after its first lines; run again")
    }
}

impl std::error::Error for Reopen {}

/// Whether an input was opened by its head since the last [`heads_taken`].
static HEADS: AtomicBool = AtomicBool::new(false);

/// Forget the inputs opened by their head so far (a metric's run starts).
pub fn heads_taken() {
    HEADS.store(false, Ordering::Relaxed);
}

/// Whether a metric's run that failed with `e` is run again with every input opened in
/// full: it asked to ([`Reopen`]), or it opened an input by its head (whose columns may be
/// why it failed). From then on, every input is opened in full.
pub fn run_again(e: &anyhow::Error) -> bool {
    let yes = e.downcast_ref::<Reopen>().is_some() || HEADS.load(Ordering::Relaxed);
    if yes {
        NO_DEFER.store(true, Ordering::Relaxed);
    }
    yes
}

fn open_paths(paths: &[String], opts: &ReadOptions, defer: bool) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    let mut stdin_used = false;
    for p in paths {
        if p == "-" {
            if stdin_used {
                fail!("standard input (-) can be given only once");
            }
            stdin_used = true;
        }
        out.push(open_one(p, opts, defer)?);
    }
    Ok(out)
}

fn lower_ext(path: &str) -> (String, bool) {
    let lower = path.to_lowercase();
    if let Some(stem) = lower.strip_suffix(".gz") {
        (stem.to_string(), true)
    } else {
        (lower, false)
    }
}

fn format_from_ext(name: &str) -> Option<(Format, Option<u8>)> {
    let ext = Path::new(name).extension()?.to_str()?.to_string();
    match ext.as_str() {
        "csv" | "txt" => Some((Format::Csv, None)),
        "tsv" | "tab" => Some((Format::Csv, Some(b'\t'))),
        "json" => Some((Format::Json, None)),
        "ndjson" | "jsonl" => Some((Format::Ndjson, None)),
        "parquet" | "pq" => Some((Format::Parquet, None)),
        _ => None,
    }
}

fn parse_input_format(s: &str) -> Result<(Format, Option<u8>)> {
    Ok(match s.to_lowercase().as_str() {
        "csv" => (Format::Csv, None),
        "tsv" => (Format::Csv, Some(b'\t')),
        "json" => (Format::Json, None),
        "ndjson" | "jsonl" => (Format::Ndjson, None),
        "parquet" => (Format::Parquet, None),
        other => fail!("--input-format {other:?}: use csv, tsv, json, ndjson or parquet"),
    })
}

fn sniff_format(head: &[u8]) -> Format {
    if head.starts_with(b"PAR1") {
        return Format::Parquet;
    }
    let text = strip_bom(head);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Format::Json,
        Some(b'{') => Format::Ndjson,
        _ => Format::Csv,
    }
}

pub(crate) fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(b)
}

fn open_one(given: &str, opts: &ReadOptions, defer: bool) -> Result<Source> {
    let display = if given == "-" {
        "<stdin>".to_string()
    } else {
        given.to_string()
    };
    let (lower, gz) = lower_ext(given);
    if lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".zip") {
        fail!("{display}: spreadsheets and zip archives are not read; export the sheet as CSV (or unzip it) and pass the .csv file");
    }
    let mut temp: Option<tempfile::TempPath> = None;
    let mut path = PathBuf::from(given);

    // Standard input and .gz are spooled into a temporary file so polars can scan it.
    // Both are copied through a buffer (SPEC 8: memory does not follow the input's size).
    if given == "-" {
        let t = spool_from(std::io::stdin().lock(), |e| {
            format!("<stdin>: cannot read standard input: {e}")
        })?;
        path = t.to_path_buf();
        temp = Some(t);
    } else {
        let meta = std::fs::metadata(&path).map_err(|e| {
            err(format!(
                "{display}: cannot open: {}; check the path",
                io_reason(&e)
            ))
        })?;
        if meta.is_dir() {
            fail!("{display}: is a directory; pass the export file(s) inside it");
        }
        if gz {
            let f = File::open(&path)
                .map_err(|e| err(format!("{display}: cannot open: {}", io_reason(&e))))?;
            let dec = flate2::read::MultiGzDecoder::new(BufReader::new(f));
            let t = spool_from(dec, |e| {
                format!("{display}: not a valid gzip file ({e}); decompress it or drop the .gz extension")
            })?;
            path = t.to_path_buf();
            temp = Some(t);
        }
    }

    let head = read_head(&path, &display)?;
    let (mut format, mut delim) = match &opts.input_format {
        Some(f) => parse_input_format(f)?,
        None if given == "-" => (sniff_format(&head), None),
        None => match format_from_ext(&lower) {
            Some(x) => x,
            None => (sniff_format(&head), None),
        },
    };
    if head.is_empty() {
        fail!("{display}: the file is empty; export it again with a header row and data");
    }

    // Encodings: UTF-16 (by BOM) or a named single-byte encoding are transcoded to UTF-8.
    let mut encoding = "utf-8";
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        let le = head.starts_with(&[0xFF, 0xFE]);
        encoding = if le { "utf-16le" } else { "utf-16be" };
        let raw = std::fs::read(&path)
            .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
        let enc = if le {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let (text, _, _) = enc.decode(&raw);
        let t = spool(text.as_bytes())?;
        path = t.to_path_buf();
        temp = Some(t);
        if opts.input_format.is_none() && format_from_ext(&lower).is_none() {
            format = sniff_format(text.as_bytes());
        }
    } else if let Some(name) = &opts.encoding {
        let enc = match name.to_lowercase().as_str() {
            "latin1" | "latin-1" | "iso-8859-1" | "cp1252" | "windows-1252" => {
                encoding_rs::WINDOWS_1252
            }
            "utf-8" | "utf8" => encoding_rs::UTF_8,
            other => {
                fail!("--encoding {other:?}: use latin1 or cp1252 (UTF-8 and UTF-16 are detected)")
            }
        };
        if enc != encoding_rs::UTF_8 {
            encoding = "cp1252";
            let raw = std::fs::read(&path)
                .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
            let (text, _, _) = enc.decode(&raw);
            let t = spool(text.as_bytes())?;
            path = t.to_path_buf();
            temp = Some(t);
        }
    } else if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        encoding = "utf-8-bom";
    }
    if let Some(d) = opts.delimiter {
        delim = Some(d);
    }

    let mut src = Source {
        display,
        path,
        format,
        delimiter: b',',
        encoding,
        headers: Vec::new(),
        rows: None,
        table: None,
        json_nonnull: None,
        json_cuts: None,
        loc_kind: LocKind::Line,
        checked: true,
        nested: Vec::new(),
        kinds: Vec::new(),
        _temp: temp,
    };
    match format {
        Format::Csv => {
            let head = read_head(&src.path, &src.display)?;
            src.delimiter = delim.unwrap_or_else(|| sniff_delimiter(&head));
            // A fast byte scan settles the common case (every record has the header's field
            // count, no blank line, valid UTF-8); anything else gets the careful per-record
            // check, which names lines and keeps short records apart.
            // Deferred: the first 64 KiB (whole lines) must be regular, so the header is
            // the first line (no preamble); the rest is checked by the visiting reader.
            let whole = head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let head_scan = (defer && head.len() == 65536 && whole > 0)
                .then(|| quick_scan_bytes(&head[..whole], src.delimiter))
                .flatten();
            match head_scan {
                Some(scan) => {
                    src.headers = scan.headers;
                    src.checked = false;
                }
                None => match quick_scan(&src.path, src.delimiter) {
                    Some(scan) => {
                        src.headers = scan.headers;
                        src.rows = Some(scan.rows);
                    }
                    None => check_csv(&mut src)?,
                },
            }
        }
        Format::Json | Format::Ndjson => {
            use crate::input::json::{open_json, open_json_head, Opened};
            // Not standard input: a run started again could not read it again.
            let head = (defer && given != "-" && !NO_DEFER.load(Ordering::Relaxed))
                .then(|| open_json_head(&src.path, format))
                .flatten();
            if let Some(meta) = head {
                src.format = meta.format;
                src.loc_kind = meta.loc_kind;
                src.headers = meta.headers;
                src.rows = Some(meta.rows);
                src.json_nonnull = Some(meta.nonnull);
                src.checked = false;
                HEADS.store(true, Ordering::Relaxed);
                return Ok(src);
            }
            match open_json(&src.path, &src.display, format)? {
                Opened::Lazy(meta) => {
                    src.format = meta.format;
                    src.loc_kind = meta.loc_kind;
                    src.headers = meta.headers;
                    src.rows = Some(meta.rows);
                    src.json_nonnull = Some(meta.nonnull);
                    src.json_cuts = meta.cuts;
                }
                Opened::Table(table, format, loc_kind) => {
                    src.format = format;
                    src.loc_kind = loc_kind;
                    src.headers = table.headers.clone();
                    src.rows = Some(table.rows.len() as u64);
                    src.table = Some(table);
                }
            }
        }
        Format::Parquet => {
            src.loc_kind = LocKind::Index;
            (src.headers, src.nested, src.kinds) = parquet_headers(&src)?;
        }
    }
    Ok(src)
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Copy `input` to a temporary file through a buffer; `bad(e)` words an error reading it.
fn spool_from(
    mut input: impl Read,
    bad: impl Fn(&std::io::Error) -> String,
) -> Result<tempfile::TempPath> {
    let mut f = tempfile::NamedTempFile::new()
        .map_err(|e| err(format!("cannot create a temporary file: {e}")))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(err(bad(&e))),
        };
        f.write_all(&buf[..n])
            .map_err(|e| err(format!("cannot write a temporary file: {e}")))?;
    }
    Ok(f.into_temp_path())
}

fn spool(data: &[u8]) -> Result<tempfile::TempPath> {
    spool_from(data, |e| format!("cannot read a decoded input: {e}"))
}

fn read_head(path: &Path, display: &str) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(|e| {
        err(format!(
            "{display}: cannot open: {}; check the path",
            io_reason(&e)
        ))
    })?;
    let mut buf = Vec::with_capacity(65536);
    f.take(65536)
        .read_to_end(&mut buf)
        .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
    Ok(buf)
}

/// The delimiter among `,` `;` tab `|` that occurs most often in the header line (outside
/// quotes); `,` on a tie or when none occurs.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let text = strip_bom(head);
    let cands = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let mut in_q = false;
    for &b in text {
        if b == b'"' {
            in_q = !in_q;
        } else if !in_q {
            if b == b'\n' {
                break;
            }
            if let Some(i) = cands.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    cands[best]
}

/// What the fast scan learned about a regular CSV file.
struct QuickScan {
    headers: Vec<String>,
    rows: u64,
}

/// One pass over the bytes with a quote-aware delimiter count: `Some` when every record has
/// exactly the header's number of fields, no line is blank and the text is UTF-8; `None`
/// when anything is unusual (the careful check then finds out what). A quote toggles the
/// quoted state, which also handles doubled quotes inside quoted fields.
fn quick_scan(path: &Path, delim: u8) -> Option<QuickScan> {
    let f = File::open(path).ok()?;
    if f.metadata().ok()?.len() == 0 {
        return None;
    }
    // Mapped, not read: the bytes are scanned in place in the page cache (no copy into a
    // buffer), and polars maps the same pages for its scan right after.
    // SAFETY: the map is only read while this function runs; a file changed meanwhile
    // gives a wrong verdict at worst, which the careful check or polars then meets.
    let map = unsafe { memmap2::Mmap::map(&f) }.ok()?;
    quick_scan_bytes(&map, delim)
}

/// [`quick_scan`] of a text in memory.
fn quick_scan_bytes(bytes: &[u8], delim: u8) -> Option<QuickScan> {
    if std::str::from_utf8(bytes).is_err() || memchr::memchr(0, bytes).is_some() {
        return None;
    }
    // Lone CR line ends (old Mac exports, or mixed) are read by the careful reader.
    if memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    let mut in_q = false;
    let mut fields: u64 = 1;
    let mut width: Option<u64> = None;
    let mut line_start: usize = 0;
    let mut records: u64 = 0;
    // Jump from one interesting byte to the next; field contents are skipped by memchr.
    let mut pos = 0usize;
    while pos < bytes.len() {
        let found = if in_q {
            memchr::memchr(b'"', &bytes[pos..])
        } else {
            memchr::memchr3(delim, b'"', b'\n', &bytes[pos..])
        };
        let Some(off) = found else {
            break;
        };
        let i = pos + off;
        let b = bytes[i];
        if b == b'"' {
            if in_q {
                // A closing quote ends the field (or doubles as `""`).
                let next = bytes.get(i + 1).copied();
                if !matches!(next, None | Some(b'"') | Some(b'\n') | Some(b'\r'))
                    && next != Some(delim)
                {
                    return None;
                }
            } else if i > line_start && bytes[i - 1] != delim && bytes[i - 1] != b'"' {
                // A quote inside an unquoted field: the careful reader takes it literally.
                return None;
            }
            in_q = !in_q;
        } else if b == delim {
            fields += 1;
        } else {
            // A line that is empty, or holds only `\r`, is not a record.
            let blank = i == line_start || (i == line_start + 1 && bytes[i - 1] == b'\r');
            if blank && fields == 1 {
                return None;
            }
            match width {
                None => width = Some(fields),
                Some(w) if w == fields => records += 1,
                Some(_) => return None,
            }
            fields = 1;
            line_start = i + 1;
        }
        pos = i + 1;
    }
    if in_q {
        return None;
    }
    if line_start < bytes.len() {
        match width {
            None => width = Some(fields),
            Some(w) if w == fields => records += 1,
            Some(_) => return None,
        }
    }
    let w = width? as usize;
    let head = &bytes[..bytes.len().min(1 << 20)];
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .from_reader(strip_bom(head));
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).ok()? || rec.len() != w {
        return None;
    }
    let headers: Vec<String> = rec.iter().map(str::to_string).collect();
    // A blank header, an empty last one (a trailing delimiter on every line), or names with
    // spaces around them (`a, b`): the careful reader settles those.
    if headers.iter().all(|h| h.trim().is_empty())
        || headers.last().is_some_and(|h| h.trim().is_empty())
        || headers.iter().any(|h| h.trim().len() != h.len())
    {
        return None;
    }
    Some(QuickScan {
        headers,
        rows: records,
    })
}

/// Read the header, count records, and find the malformed ones with cxm's careful reader
/// ([`crate::input::tokenizer`]); the records are kept in a [`Table`].
fn check_csv(src: &mut Source) -> Result<()> {
    let (_, t) = read_csv_table_with_headers(src, 1)?;
    src.headers = t.headers.clone();
    src.rows = Some(t.rows.len() as u64);
    src.table = Some(t);
    Ok(())
}

/// Read a whole CSV into a [`Table`] (used when records need per-record handling), with the
/// physical line on which each record starts.
pub fn read_csv_table(src: &Source) -> Result<Table> {
    Ok(read_csv_table_with_headers(src, 1)?.1)
}

/// Like [`read_csv_table`] for exports with `header_rows` header rows (Qualtrics has three,
/// SurveyMonkey two): returns the header rows' cells and the data rows, whose positions stay
/// physical lines. The width is the first header row's. The read's warnings (skipped lines,
/// malformed records) are noted on the source once.
pub fn read_csv_table_with_headers(
    src: &Source,
    header_rows: usize,
) -> Result<(Vec<Vec<String>>, Table)> {
    let data = std::fs::read(&src.path)
        .map_err(|e| err(format!("{}: cannot read: {}", src.display, io_reason(&e))))?;
    let parsed =
        crate::input::tokenizer::parse(strip_bom(&data), src.delimiter, header_rows, &src.display)?;
    note_warnings(&src.display, parsed.warnings(&src.display));
    Ok((parsed.header_rows, parsed.table))
}

/// Warnings of the careful reads (skipped lines, malformed records) since the last
/// [`take_warnings`], per input. An input may be read more than once in a run (the rejects
/// pass re-reads it; a preset re-reads it with its header rows): the last read's warnings
/// stand.
static READ_WARNINGS: std::sync::Mutex<Vec<(String, Vec<String>)>> =
    std::sync::Mutex::new(Vec::new());

fn note_warnings(display: &str, new: Vec<String>) {
    let mut w = READ_WARNINGS.lock().unwrap_or_else(|e| e.into_inner());
    match w.iter_mut().find(|(d, _)| d == display) {
        Some((_, old)) => *old = new,
        None => w.push((display.to_string(), new)),
    }
}

/// The read warnings of the computation that just ran (the one dispatch of metric commands
/// puts them first in the report's warnings).
pub fn take_warnings() -> Vec<String> {
    std::mem::take(&mut *READ_WARNINGS.lock().unwrap_or_else(|e| e.into_inner()))
        .into_iter()
        .flat_map(|(_, w)| w)
        .collect()
}

/// The columns of a Parquet file, and those whose values are nested (lists, structs, …)
/// and so cannot be read as one text cell, with their type.
/// A column's name and type.
type NamedType = (String, String);

type ParquetColumns = (
    Vec<String>,
    Vec<NamedType>,
    Vec<crate::input::parquet::TextKind>,
);

fn parquet_headers(src: &Source) -> Result<ParquetColumns> {
    use polars::prelude::*;
    let unreadable = |e: PolarsError| {
        err(format!(
            "{}: not a readable Parquet file (damaged, cut off, or another format{}); export it again, or pass --input-format csv|json|ndjson if it is not Parquet",
            src.display,
            crate::error::engine_detail(&e.into())
        ))
    };
    // polars turns every column's Parquet type into its own when it opens the file, and
    // panics on a type it has no counterpart for (even in a column no metric reads): such a
    // column is named first.
    let file = File::open(&src.path)
        .map_err(|e| err(format!("{}: cannot open: {}", src.display, io_reason(&e))))?;
    let mut reader = ParquetReader::new(file);
    let arrow = reader.schema().map_err(unreadable)?;
    // UUIDs are 16 bytes to polars; the Parquet schema says what they are.
    let uuids: Vec<String> = reader
        .get_metadata()
        .map_err(unreadable)?
        .schema_descr
        .columns()
        .iter()
        .filter(|c| {
            c.path_in_schema.len() == 1
                && c.descriptor.primitive_type.logical_type
                    == Some(polars_parquet::parquet::schema::types::PrimitiveLogicalType::Uuid)
        })
        .map(|c| c.path_in_schema[0].to_string())
        .collect();
    for (name, field) in arrow.iter() {
        if let Some(t) = unreadable_type(&field.dtype) {
            crate::fail!(
                "{}: column {:?} holds values of type {t}, which cxm cannot read (even when the column is not used); export the file without it, or with it cast to text",
                src.display,
                name.as_str()
            );
        }
    }
    // The types polars gives the columns (as its scan of the file would).
    let schema: Vec<(String, DataType)> = arrow
        .iter()
        .map(|(n, field)| (n.to_string(), DataType::from_arrow_field(field)))
        .collect();
    let nested = schema
        .iter()
        .filter(|(_, t)| t.is_nested())
        .map(|(n, t)| (n.clone(), t.to_string()))
        .collect();
    let kinds = schema
        .iter()
        .map(|(n, t)| match crate::input::parquet::TextKind::of(t) {
            crate::input::parquet::TextKind::Binary if uuids.contains(n) => {
                crate::input::parquet::TextKind::Uuid
            }
            k => k,
        })
        .collect();
    Ok((schema.into_iter().map(|(n, _)| n).collect(), nested, kinds))
}

/// The name of a Parquet column type (as Arrow gives it) that polars cannot read in this
/// build, looked for through lists, structs and maps; `None` when every part is readable.
fn unreadable_type(t: &polars::prelude::ArrowDataType) -> Option<String> {
    use polars::prelude::{ArrowDataType as A, TimeZone};
    match t {
        A::Null
        | A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Date32
        | A::Date64
        | A::Time32(_)
        | A::Time64(_)
        | A::Duration(_)
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_)
        | A::Decimal(..)
        | A::Decimal32(..)
        | A::Decimal64(..)
        | A::Decimal256(..) => None,
        A::Timestamp(_, tz) => match TimeZone::opt_try_new(tz.clone()) {
            Ok(_) => None,
            Err(_) => Some(format!(
                "TIMESTAMP in the unknown time zone {:?}",
                tz.as_deref().unwrap_or_default()
            )),
        },
        A::List(f) | A::LargeList(f) | A::Map(f, _) => unreadable_type(&f.dtype),
        A::Struct(fs) => fs.iter().find_map(|f| unreadable_type(&f.dtype)),
        A::Dictionary(_, v, _) => unreadable_type(v),
        A::Interval(_) => Some("INTERVAL".into()),
        A::Float16 => Some("FLOAT16".into()),
        A::Int128 | A::UInt128 => Some("a 128-bit integer".into()),
        A::FixedSizeList(..) => Some("a fixed-size list".into()),
        A::Union(..) => Some("a union".into()),
        other => Some(format!("{other:?}")),
    }
}

/// Every record of one input as text cells, a chunk of rows at a time, for the per-record
/// pass that reports rejected rows: `f(first, chunk)` gets the rows from row `first` on (each
/// with its own position in `locs`) and returns whether to go on. An in-memory table is one
/// chunk. A regular CSV file on disk (the parallel reader's rules) is cut into the parallel
/// reader's record-aligned pieces and each is read by the careful reader with the header
/// before it; a Parquet file is collected a batch of row groups at a time: memory follows
/// the chunk, not the file (10M survey responses took 3.7 GB as one table); NDJSON a block
/// of lines at a time, and a JSON document the open step's scan cut a piece of its records
/// array at a time. Any other CSV file or JSON document is read whole.
pub fn records_in_chunks(
    src: &Source,
    mut f: impl FnMut(usize, &Table) -> Result<bool>,
) -> Result<()> {
    if let Some(t) = &src.table {
        f(0, t)?;
        return Ok(());
    }
    if src.format == Format::Ndjson {
        return crate::input::json::ndjson_tables(&src.path, &src.display, &src.headers, f);
    }
    if let (Format::Json, Some(cuts)) = (src.format, &src.json_cuts) {
        return crate::input::json::document_tables(&src.path, &src.display, &src.headers, cuts, f);
    }
    if src.format == Format::Json {
        let t = crate::input::json::read_json(&src.path, &src.display, src.format)?.0;
        f(0, &t)?;
        return Ok(());
    }
    if src.format == Format::Parquet {
        return parquet_chunks(src, f);
    }
    if crate::input::fast::eligible(std::slice::from_ref(src)) {
        if let Some(map) = crate::input::fast::Mapped::open(&src.path) {
            let regular =
                crate::input::fast::visit_mapped(&map, src.delimiter, &[], |_| (), |_, _| {})
                    .is_ok();
            let bytes = strip_bom(map.bytes());
            let bom = map.bytes().len() - bytes.len();
            if let (true, Some((start, _))) = (
                regular,
                crate::input::fast::header_end(bytes, src.delimiter),
            ) {
                return csv_chunks(src, bytes, start, |a, b| map.release(a + bom, b + bom), f);
            }
        }
    }
    f(0, &read_csv_table(src)?)?;
    Ok(())
}

/// [`records_in_chunks`] for a regular CSV file: `bytes` without its BOM, the data from
/// `start` on. Each piece, with the header line before it, reads as the whole file reads
/// there (every record is of the header's width, nothing is skipped); its lines are moved
/// to the file's.
fn csv_chunks(
    src: &Source,
    bytes: &[u8],
    start: usize,
    release: impl Fn(usize, usize) + Sync,
    mut f: impl FnMut(usize, &Table) -> Result<bool>,
) -> Result<()> {
    // `CXM_REJECTS_PIECE_BYTES` (undocumented, for tests) makes the pieces small.
    let piece = crate::input::env_size("CXM_REJECTS_PIECE_BYTES").unwrap_or(8 << 20);
    let parts = (bytes.len() - start).div_ceil(piece).max(1);
    let cuts = crate::input::fast::boundaries(bytes, start, parts, &release);
    let header_lines = memchr::memchr_iter(b'\n', &bytes[..start]).count() as u64;
    let (mut lines_before, mut first) = (header_lines, 0usize);
    let mut buf: Vec<u8> = Vec::new();
    for w in cuts.windows(2) {
        let (from, to) = (w[0], w[1]);
        if from == to {
            continue;
        }
        buf.clear();
        buf.extend_from_slice(&bytes[..start]);
        buf.extend_from_slice(&bytes[from..to]);
        let mut t = crate::input::tokenizer::parse(&buf, src.delimiter, 1, &src.display)?.table;
        for l in &mut t.locs {
            *l = *l - header_lines + lines_before;
        }
        lines_before += memchr::memchr_iter(b'\n', &bytes[from..to]).count() as u64;
        release(from, to);
        if !f(first, &t)? {
            return Ok(());
        }
        first += t.rows.len();
    }
    Ok(())
}

/// [`records_in_chunks`] for a Parquet file: a batch of whole row groups at a time, every
/// column as text (a nested column has no one text per row: its cells are left empty).
fn parquet_chunks(src: &Source, mut f: impl FnMut(usize, &Table) -> Result<bool>) -> Result<()> {
    use crate::input::{self, FrameCol};
    use polars::prelude::*;
    let readable = |h: &String| !src.nested.iter().any(|(n, _)| n == h);
    let cols: Vec<FrameCol> = src
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| readable(h))
        .map(|(i, h)| FrameCol {
            name: h.clone(),
            index: vec![i],
        })
        .collect();
    let one = std::slice::from_ref(src);
    let lf = input::frame(one, &cols)?;
    let batches = crate::input::parquet::batches(&src.path, crate::input::parquet::batch_rows())
        .unwrap_or_else(|| vec![(0, src.rows.unwrap_or(u64::MAX))]);
    for (at, len) in batches {
        let df = input::collect(lf.clone().slice(at as i64, len as IdxSize), one)?;
        let mut t = Table {
            headers: src.headers.clone(),
            ..Default::default()
        };
        let cas: Vec<Option<StringChunked>> = src
            .headers
            .iter()
            .map(|h| {
                readable(h)
                    .then(|| df.column(h).and_then(|c| c.str().cloned()))
                    .transpose()
            })
            .collect::<PolarsResult<_>>()
            .map_err(|e| err(e.to_string()))?;
        for r in 0..df.height() {
            t.rows.push(
                cas.iter()
                    .map(|ca| ca.as_ref().and_then(|ca| ca.get(r)).map(str::to_string))
                    .collect(),
            );
            t.locs.push(at + r as u64);
            t.malformed.push(None);
        }
        if !f(at as usize, &t)? {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8]) -> Option<(Vec<String>, u64)> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, bytes).unwrap();
        quick_scan(&p, b',').map(|s| (s.headers, s.rows))
    }

    #[test]
    fn quick_scan_accepts_regular_files() {
        assert_eq!(
            scan(b"a,b\n1,2\n3,4\n"),
            Some((vec!["a".into(), "b".into()], 2))
        );
        // No final line break; CRLF; quoted delimiters, quotes and newlines.
        assert_eq!(scan(b"a,b\n1,2\n3,4").map(|x| x.1), Some(2));
        assert_eq!(scan(b"a,b\r\n1,2\r\n").map(|x| x.1), Some(1));
        assert_eq!(
            scan(b"a,b\n\"x,y\",\"say \"\"hi\"\"\nthere\"\n").map(|x| x.1),
            Some(1)
        );
        // A BOM is not part of the first header.
        assert_eq!(
            scan(b"\xef\xbb\xbfa,b\n1,2\n").map(|x| x.0[0].clone()),
            Some("a".into())
        );
    }

    #[test]
    fn quick_scan_defers_anything_unusual() {
        assert_eq!(scan(b"a,b\n1,2\n\n3,4\n"), None, "blank line");
        assert_eq!(scan(b"a,b\r\n1,2\r\n\r\n3,4\r\n"), None, "blank CRLF line");
        assert_eq!(scan(b"a,b\n1\n"), None, "short record");
        assert_eq!(scan(b"a,b\n1,2,3\n"), None, "long record");
        assert_eq!(scan(b"a,b\n1,\"open\n"), None, "unclosed quote");
        assert_eq!(scan(b"a,b\n1,\xff\n"), None, "invalid UTF-8");
        assert_eq!(scan(b""), None, "empty");
    }

    #[test]
    fn sniffs_delimiters_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"x,y,z\"|b\n"), b'|');
        assert_eq!(sniff_delimiter(b"only\n"), b',');
    }
}
