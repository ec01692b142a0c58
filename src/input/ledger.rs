//! Row accounting per input (SPEC 6): every data row of every input is counted once, as
//! used, blank, rejected, filtered or duplicate. The metric families classify rows; the
//! ledger counts them, moves rows to `filtered` when `--last` or as-of drops them later, and
//! words the checks and warnings every family shares.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::fail;
use crate::input::rows::Status;
use crate::input::Source;
use crate::report::InputCount;

pub struct Ledger {
    inputs: Vec<InputCount>,
    /// Rows per (input, period ordinal, status), for the rows `--last` may move to filtered.
    by_period: BTreeMap<(usize, i32, Status), u64>,
    dst_gap: u64,
    dst_ambiguous: u64,
}

impl Ledger {
    /// The ledger of one input known by name only (`--from-aggregates FILE`).
    pub fn single(path: &str) -> Ledger {
        Ledger::of_paths([path.to_string()])
    }

    pub fn new(sources: &[Source]) -> Ledger {
        Ledger::of_paths(sources.iter().map(|s| s.display.clone()))
    }

    fn of_paths(paths: impl IntoIterator<Item = String>) -> Ledger {
        Ledger {
            inputs: paths
                .into_iter()
                .map(|path| InputCount {
                    path,
                    ..Default::default()
                })
                .collect(),
            by_period: BTreeMap::new(),
            dst_gap: 0,
            dst_ambiguous: 0,
        }
    }

    /// `n` rows of input `input` ended as `status`.
    pub fn count(&mut self, input: usize, status: Status, n: u64) {
        let i = &mut self.inputs[input];
        i.rows += n;
        *field(i, status) += n;
    }

    /// Like [`Ledger::count`], also remembered by period so that [`Ledger::filter_periods`]
    /// can move them.
    pub fn count_in_period(&mut self, input: usize, ordinal: i32, status: Status, n: u64) {
        self.count(input, status, n);
        *self.by_period.entry((input, ordinal, status)).or_default() += n;
    }

    /// `n` rows had a naive time in a daylight-saving gap / overlap (the families decide which
    /// rows count: survey and tickets every row with such a time, churn the used ones).
    pub fn note_dst(&mut self, gap: bool, ambiguous: bool, n: u64) {
        if gap {
            self.dst_gap += n;
        }
        if ambiguous {
            self.dst_ambiguous += n;
        }
    }

    /// `--last`: the rows counted by period whose (ordinal, status) `outside` selects become
    /// filtered.
    pub fn filter_periods(&mut self, outside: impl Fn(i32, Status) -> bool) {
        for (&(input, ordinal, status), &n) in &self.by_period {
            if outside(ordinal, status) {
                let i = &mut self.inputs[input];
                *field(i, status) -= n;
                i.filtered += n;
            }
        }
    }

    /// One used row of input `input` turns out to be filtered (churn: a start after as-of).
    pub fn refilter_used(&mut self, input: usize) {
        let i = &mut self.inputs[input];
        i.used -= 1;
        i.filtered += 1;
    }

    pub fn inputs(&self) -> &[InputCount] {
        &self.inputs
    }

    pub fn into_inputs(self) -> Vec<InputCount> {
        self.inputs
    }

    /// Every input summed (for messages).
    pub fn total(&self) -> InputCount {
        let mut t = InputCount::default();
        for i in &self.inputs {
            t.rows += i.rows;
            t.used += i.used;
            t.blank += i.blank;
            t.rejected += i.rejected;
            t.filtered += i.filtered;
            t.duplicate += i.duplicate;
        }
        t
    }

    /// The global row index (`__g`) at which each input starts.
    pub fn offsets(&self) -> Vec<usize> {
        let mut acc = 0usize;
        self.inputs
            .iter()
            .map(|i| {
                let start = acc;
                acc += i.rows as usize;
                start
            })
            .collect()
    }

    /// The inputs' data rows in total; an error when there are none (a header-only export:
    /// `what` names the records, e.g. "tickets").
    pub fn data_rows(&self, sources: &[Source], what: &str) -> Result<u64> {
        for (s, i) in sources.iter().zip(&self.inputs) {
            if i.rows == 0 && sources.len() == 1 {
                fail!(
                    "{}: no data rows (only a header); export again with the {what} included",
                    s.display
                );
            }
        }
        let total: u64 = self.inputs.iter().map(|i| i.rows).sum();
        if total == 0 {
            fail!("the inputs have no data rows (only headers)");
        }
        Ok(total)
    }

    /// An error worded by the family (from the totals) when no row is used or filtered.
    pub fn require_valid(&self, message: impl FnOnce(&InputCount) -> String) -> Result<()> {
        let t = self.total();
        if t.used == 0 && t.filtered == 0 {
            fail!("{}", message(&t));
        }
        Ok(())
    }

    /// The daylight-saving warnings. `noun: None` is the survey wording ("naive timestamps
    /// …"); `Some("tickets")` gives "N tickets had a naive timestamp …".
    pub fn dst_warnings(&self, noun: Option<&str>) -> Vec<String> {
        let (gap, amb) = (self.dst_gap, self.dst_ambiguous);
        let mut w = Vec::new();
        match noun {
            None => {
                if gap > 0 {
                    w.push(format!("{gap} naive timestamps fell in a daylight-saving gap and were moved forward by the gap"));
                }
                if amb > 0 {
                    w.push(format!("{amb} naive timestamps occurred twice at a daylight-saving change; the earlier instant was taken"));
                }
            }
            Some(noun) => {
                if gap > 0 {
                    w.push(format!("{gap} {noun} had a naive timestamp in a daylight-saving gap, moved forward by the gap"));
                }
                if amb > 0 {
                    w.push(format!("{amb} {noun} had a naive timestamp that occurred twice at a daylight-saving change; the earlier instant was taken"));
                }
            }
        }
        w
    }

    /// "N rows rejected; …", unless the rows were written with `--rejects FILE`.
    pub fn rejected_warning(&self, written: bool) -> Option<String> {
        let rejected = self.total().rejected;
        (rejected > 0 && !written).then(|| {
            format!("{rejected} rows rejected; write them with their reasons using --rejects FILE")
        })
    }
}

fn field(i: &mut InputCount, status: Status) -> &mut u64 {
    match status {
        Status::Used => &mut i.used,
        Status::Blank => &mut i.blank,
        Status::Rejected => &mut i.rejected,
        Status::Filtered => &mut i.filtered,
        Status::Duplicate => &mut i.duplicate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(n: usize) -> Ledger {
        Ledger {
            inputs: (0..n).map(|_| InputCount::default()).collect(),
            by_period: BTreeMap::new(),
            dst_gap: 0,
            dst_ambiguous: 0,
        }
    }

    #[test]
    fn rows_add_up_and_last_moves_rows_to_filtered() {
        let mut l = ledger(2);
        // Input 0: 3 used in period 5, 2 used in period 7, 1 blank in 7, 1 rejected without a
        // period; input 1: 4 duplicates.
        l.count_in_period(0, 5, Status::Used, 3);
        l.count_in_period(0, 7, Status::Used, 2);
        l.count_in_period(0, 7, Status::Blank, 1);
        l.count_in_period(0, i32::MIN, Status::Rejected, 1);
        l.count(1, Status::Duplicate, 4);
        assert_eq!(l.offsets(), vec![0, 7]);
        // Keep period 7 only: the 3 used rows of period 5 become filtered.
        l.filter_periods(|o, _| o != i32::MIN && o != 7);
        l.refilter_used(0);
        let i = &l.inputs()[0];
        // rows 7 = used 2 - 1 + blank 1 + rejected 1 + filtered 3 + 1.
        assert_eq!(
            (i.rows, i.used, i.blank, i.rejected, i.filtered),
            (7, 1, 1, 1, 4)
        );
        let t = l.total();
        assert_eq!((t.rows, t.duplicate), (11, 4));
        assert_eq!(
            l.rejected_warning(false).as_deref(),
            Some("1 rows rejected; write them with their reasons using --rejects FILE")
        );
        assert_eq!(l.rejected_warning(true), None);
    }
}
