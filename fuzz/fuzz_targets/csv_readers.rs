//! Any bytes through both CSV readers: the careful reader never panics and accounts for
//! every record it reads; the parallel reader either gives up (the careful reader's case)
//! or visits exactly the records the careful reader finds, with the same cells.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The careful reader reads the text after any BOM (as cxm's input path gives it); the
    // parallel reader takes the whole file and skips the BOM itself.
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let Ok(p) = cxm::input::tokenizer::parse(body, b',', 1, "fuzz.csv") else {
        return;
    };
    let t = &p.table;
    assert_eq!(t.rows.len(), t.locs.len());
    assert_eq!(t.rows.len(), t.malformed.len());
    assert!(t.rows.iter().all(|r| r.len() == t.headers.len()));
    assert!(t.locs.windows(2).all(|w| w[0] < w[1]));
    let width = t.headers.len();
    let all: Vec<usize> = (0..width).collect();
    let fast = cxm::input::fast::visit(
        data,
        b',',
        &all,
        Vec::new,
        |s: &mut Vec<Vec<Option<String>>>, c| {
            s.push(c.iter().map(|x| x.as_deref().map(str::to_string)).collect())
        },
    );
    if let Ok((pieces, rows)) = fast {
        let got: Vec<Vec<Option<String>>> = pieces.into_iter().flatten().collect();
        assert_eq!(got.len() as u64, rows);
        // A file the parallel reader accepts is regular: no preamble, footer or malformed
        // record, so both readers see the same records.
        if p.preamble.is_empty() && p.footer.is_empty() && t.malformed.iter().all(Option::is_none) {
            assert_eq!(got, t.rows);
        }
    }
});
