#!/usr/bin/env python3
"""Write a pollution corpus: from one clean export per dataset kind, one variant per
pollution class that real exports show (SPEC 9), with the outcome cxm documents for it.

    python3 scripts/pollute.py OUTDIR [--rows 200] [--seed 7]

writes OUTDIR/<kind>/clean.csv, OUTDIR/<kind>/<class>.csv and OUTDIR/manifest.json, a list
of cases:

    {"kind", "file", "class", "args": [extra cxm arguments],
     "outcome": "same"     the clean twin's rows and columns, and its figures
               | "rejects" the clean twin's rows, with `rejected_lines` rejected for
                           `reason` (figures may differ: a value was lost)
               | "extra"   rows = clean rows + `extra_rows`, `rejected_lines` rejected
               | "error"   exit 2 with `error` in the message,
     "rows", "rejected_lines", "reason"}

The e2e test `tests/e2e/pollution.rs` runs cxm on every case. Deterministic for a seed.
"""

import argparse
import datetime
import json
import os
import random

KINDS = {
    "surveys": {
        "header": ["response_id", "submitted_at", "score", "region", "comment"],
        # Columns whose pollution changes a value the metric reads (the row is rejected);
        # the NPS total reads no time.
        "values": {"score"},
        "text": "comment",
    },
    "tickets": {
        "header": [
            "ticket_id",
            "created_at",
            "first_response_at",
            "resolved_at",
            "priority",
            "subject",
        ],
        "values": {"created_at", "first_response_at", "resolved_at"},
        "text": "subject",
    },
    "subscriptions": {
        "header": [
            "subscription_id",
            "customer_id",
            "started_at",
            "ended_at",
            "mrr",
            "plan",
            "note",
        ],
        "values": {"started_at", "ended_at", "mrr"},
        "text": "note",
    },
}

COMMENTS = [
    "Great service",
    "Slow, but friendly",
    'They said "next week"',
    "Fine",
    "Good support, fast answers",
    "Line one\nline two",
    "",
    "OK",
]
SUBJECTS = ["Login fails", "Refund, please", 'Error "403"', "Invoice", "Slow app"]
PLANS = ["Basic", "Pro", "Pro, annual", "Team"]


def stamp(day, hour=9, minute=0):
    t = datetime.datetime(2025, 1, 1, hour, minute) + datetime.timedelta(days=day)
    return t.strftime("%Y-%m-%d %H:%M")


def clean_rows(kind, n, rnd):
    rows = []
    for i in range(n):
        if kind == "surveys":
            rows.append(
                [
                    f"r{i + 1}",
                    stamp(i, 9 + i % 8),
                    str(rnd.randint(0, 10)),
                    rnd.choice(["EMEA", "AMER", "APAC"]),
                    rnd.choice(COMMENTS),
                ]
            )
        elif kind == "tickets":
            resolved = stamp(i + 2, 15) if i % 4 else ""
            rows.append(
                [
                    str(1000 + i),
                    stamp(i, 8),
                    stamp(i, 10, i % 60),
                    resolved,
                    rnd.choice(["low", "normal", "high"]),
                    rnd.choice(SUBJECTS),
                ]
            )
        else:
            ended = stamp(i + 40, 0) if i % 3 == 0 else ""
            rows.append(
                [
                    f"sub_{i + 1}",
                    f"cus_{i + 1}",
                    stamp(i % 150, 0),
                    ended,
                    f"{rnd.choice([10, 25, 50, 99])}.00",
                    rnd.choice(PLANS),
                    rnd.choice(COMMENTS),
                ]
            )
    return rows


def quote(cell, delim):
    if any(c in cell for c in (delim, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


class Doc:
    """A CSV text built line by line, knowing the physical line of every record."""

    def __init__(self, delim=",", eol="\n"):
        self.parts = []
        self.line = 1
        self.delim = delim
        self.eol = eol
        self.record_lines = []

    def raw(self, text):
        self.parts.append(text)
        self.line += text.count("\n") + text.count("\r") - text.count("\r\n")

    def record(self, cells, data=True, raw_cells=False, eol=None):
        if data:
            self.record_lines.append(self.line)
        text = self.delim.join(cells if raw_cells else (quote(c, self.delim) for c in cells))
        self.raw(text + (self.eol if eol is None else eol))

    def text(self):
        return "".join(self.parts)


def build(header, rows, delim=",", eol="\n"):
    d = Doc(delim, eol)
    d.record(header, data=False)
    for r in rows:
        d.record(r)
    return d


def variants(kind, spec, rows):
    """(class, text or bytes, outcome fields) for every pollution class."""
    header = spec["header"]
    text_col = header.index(spec["text"])
    n = len(rows)
    k = 10  # the polluted record (0-based data row)
    out = []

    def case(cls, doc_or_text, outcome="same", **kw):
        out.append((cls, doc_or_text, dict(outcome=outcome, **kw)))

    clean = build(header, rows)
    line_k = clean.record_lines[k]

    # A stray quote inside a field, for every column.
    for c, name in enumerate(header):
        polluted = [list(r) for r in rows]
        cell = polluted[k][c] or "x"
        if c == text_col:
            polluted[k][c] = ""  # the rewritten cell below carries the stray quote
        d = Doc()
        d.record(header, data=False)
        for i, r in enumerate(polluted):
            if i == k:
                cells = [quote(x, ",") for x in r]
                mid = max(1, len(cell) // 2)
                cells[c] = cell[:mid].replace('"', "") + '"' + cell[mid:].replace('"', "")
                cells[c] = cells[c].replace("\n", " ").replace(",", " ")
                d.record(cells, raw_cells=True)
            else:
                d.record(r)
        if name in spec["values"]:
            case(f"stray_quote_{name}", d, "rejects", rejected_lines=[line_k])
        else:
            case(f"stray_quote_{name}", d)

    # A missing closing quote on the last column (a text with a delimiter in it).
    d = Doc()
    d.record(header, data=False)
    for i, r in enumerate(rows):
        if i == k:
            cells = [quote(x, ",") for x in r[:-1]] + ['"Open, never closed']
            d.record(cells, raw_cells=True)
        else:
            d.record(r)
    case("missing_closing_quote", d)

    # An extra and a missing delimiter in one row.
    polluted = [list(r) for r in rows]
    polluted_doc = Doc()
    polluted_doc.record(header, data=False)
    for i, r in enumerate(polluted):
        if i == k:
            polluted_doc.record([quote(x, ",") for x in r] + ["extra"], raw_cells=True)
        else:
            polluted_doc.record(r)
    case("extra_delimiter", polluted_doc, "rejects", rejected_lines=[line_k], reason="too_many_fields")
    d = Doc()
    d.record(header, data=False)
    for i, r in enumerate(rows):
        if i == k:
            cells = [quote(x, ",") for x in r]
            cells[0] = cells[0] + cells[1]
            del cells[1]
            d.record(cells, raw_cells=True)
        else:
            d.record(r)
    case("missing_delimiter", d, "rejects", rejected_lines=[line_k], reason="field_count")

    # A trailing delimiter on every line, header included.
    d = Doc()
    d.record(header + [""], data=False)
    for r in rows:
        d.record(r + [""])
    case("trailing_delimiter", d)

    # A quote in the header (of a column no metric reads).
    h = list(header)
    h[text_col] = h[text_col][:3] + '"' + h[text_col][3:]
    d = Doc()
    d.record(h, data=False, raw_cells=True)
    for r in rows:
        d.record(r)
    case("quote_in_header", d)

    # Line ends: CR only, mixed, CRLF.
    case("cr_line_ends", build(header, rows, eol="\r"))
    case("crlf_line_ends", build(header, rows, eol="\r\n"))
    d = Doc()
    d.record(header, data=False)
    for i, r in enumerate(rows):
        d.record(r, eol=["\n", "\r\n", "\r"][i % 3])
    case("mixed_line_ends", d)

    # Final newlines: doubled, missing.
    d = build(header, rows)
    d.raw("\n")
    case("double_final_newline", d)
    d = Doc()
    d.record(header, data=False)
    for i, r in enumerate(rows):
        d.record(r, eol="" if i == n - 1 else "\n")
    case("no_final_newline", d)

    # A title and an export-date line before the header; a total line after the data.
    d = Doc()
    d.raw(f"{kind.capitalize()} export\n")
    d.raw("Exported on 2025-07-01\n")
    d.record(header, data=False)
    for r in rows:
        d.record(r)
    case("preamble", d)
    d = build(header, rows)
    d.raw(f"Total: {n}\n")
    case("total_footer", d)

    # A two-row header: the second row is data to cxm, rejected (its values are labels).
    d = Doc()
    d.record(header, data=False)
    d.record([f"{h} (label)" for h in header])
    for r in rows:
        d.record(r)
    case("two_row_header", d, "extra", extra_rows=1, rejected_lines=[2])

    # Spaces after the delimiter.
    d = Doc(delim=", ")
    d.record(header, data=False)
    for r in rows:
        d.record([quote(x, ",") for x in r], raw_cells=True)
    case("spaces_after_delimiter", d)

    # A NUL byte inside a value.
    d = Doc()
    d.record(header, data=False)
    for i, r in enumerate(rows):
        if i == k:
            cells = [quote(x, ",") for x in r]
            cells[0] = cells[0] + "\0"
            d.record(cells, raw_cells=True)
        else:
            d.record(r)
    case("nul_byte", d)

    # One invalid UTF-8 byte (in the text column): that record is rejected.
    d = build(header, rows)
    data = d.text().encode("utf-8")
    lines = data.split(b"\n")
    # The polluted record's first physical line is line_k (1-based).
    lines[line_k - 1] = lines[line_k - 1] + b"\xff"
    case("invalid_utf8_byte", b"\n".join(lines), "rejects", rejected_lines=[line_k], reason="invalid_utf8")

    # Other delimiters.
    case("semicolon_delimiter", build(header, rows, delim=";"))
    case("tab_delimiter", build(header, rows, delim="\t"))

    # Backslash-escaped quotes instead of doubled ones.
    d = Doc()
    d.record(header, data=False)
    for r in rows:
        cells = []
        for x in r:
            if '"' in x and "\n" not in x:
                cells.append('"' + x.replace('"', '\\"') + '"')
            else:
                cells.append(quote(x, ","))
        d.record(cells, raw_cells=True)
    case("backslash_escaped_quotes", d)

    # A 1 MB text field.
    polluted = [list(r) for r in rows]
    polluted[k][text_col] = "long " * 200_000
    case("one_megabyte_field", build(header, polluted))

    # An empty file and a header-only file.
    case("empty_file", "", "error", error="the file is empty")
    case("header_only", build(header, []), "error", error="no data rows")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    manifest = []
    for kind, spec in KINDS.items():
        rnd = random.Random(f"{a.seed}-{kind}")
        rows = clean_rows(kind, a.rows, rnd)
        os.makedirs(os.path.join(a.outdir, kind), exist_ok=True)
        clean = build(spec["header"], rows)
        with open(os.path.join(a.outdir, kind, "clean.csv"), "w", newline="") as f:
            f.write(clean.text())
        for cls, doc, outcome in variants(kind, spec, rows):
            rel = f"{kind}/{cls}.csv"
            data = doc if isinstance(doc, (str, bytes)) else doc.text()
            if isinstance(data, str):
                data = data.encode("utf-8")
            with open(os.path.join(a.outdir, rel), "wb") as f:
                f.write(data)
            entry = {
                "kind": kind,
                "file": rel,
                "class": cls,
                "args": [],
                "rows": len(rows) + outcome.get("extra_rows", 0),
                "rejected_lines": outcome.get("rejected_lines", []),
                "reason": outcome.get("reason"),
            }
            entry.update({k: v for k, v in outcome.items() if k not in entry})
            manifest.append(entry)
    with open(os.path.join(a.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest)} polluted files in {a.outdir}")


if __name__ == "__main__":
    main()
