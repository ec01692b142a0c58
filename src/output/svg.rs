//! Inline SVG charts for the HTML report: a trend line over periods, vertical bars for a
//! distribution, horizontal bars for groups. Plain strings, no scripts; every label is
//! escaped; coordinates are rounded to one decimal so output is stable.

use super::html::esc;

/// One point of a trend: the period label, its value (None = no data) and whether the
/// period is partial (drawn hollow, not joined).
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    pub partial: bool,
}

fn r1(x: f64) -> String {
    let s = format!("{:.1}", x);
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

/// Nice lower/upper bounds for an axis containing `lo..=hi`.
fn bounds(lo: f64, hi: f64) -> (f64, f64) {
    if (hi - lo).abs() < 1e-9 {
        let pad = if hi.abs() < 1e-9 { 1.0 } else { hi.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.1;
    (lo - pad, hi + pad)
}

/// A trend line over periods; `fmt` formats axis values.
pub fn trend(points: &[Point], title: &str, fmt: &dyn Fn(f64) -> String) -> String {
    let (w, h) = (640.0, 200.0);
    let (left, right, top, bottom) = (60.0, 36.0, 16.0, 36.0);
    let vals: Vec<f64> = points.iter().filter_map(|p| p.value).collect();
    let mut s = format!(
        "<svg class=\"chart trend\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title)
    );
    s.push_str(&format!("<title>{}</title>", esc(title)));
    if vals.is_empty() {
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"muted\" text-anchor=\"middle\">no data</text></svg>",
            w / 2.0,
            h / 2.0
        ));
        return s;
    }
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = bounds(lo, hi);
    let n = points.len();
    let x = |i: usize| {
        if n <= 1 {
            left + (w - left - right) / 2.0
        } else {
            left + (w - left - right) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo));
    // Grid: three horizontal lines with labels.
    for k in 0..3 {
        let v = lo + (hi - lo) * k as f64 / 2.0;
        let yy = y(v);
        s.push_str(&format!(
            "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"grid\"/><text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            r1(left),
            r1(w - right),
            r1(yy),
            r1(yy),
            r1(left - 6.0),
            r1(yy + 4.0),
            esc(&fmt(v))
        ));
    }
    // Lines join consecutive complete periods with values.
    let mut seg: Vec<String> = Vec::new();
    let flush = |seg: &mut Vec<String>, s: &mut String| {
        if seg.len() > 1 {
            s.push_str(&format!(
                "<polyline class=\"line\" points=\"{}\"/>",
                seg.join(" ")
            ));
        }
        seg.clear();
    };
    for (i, p) in points.iter().enumerate() {
        match p.value {
            Some(v) if !p.partial => seg.push(format!("{},{}", r1(x(i)), r1(y(v)))),
            _ => flush(&mut seg, &mut s),
        }
    }
    flush(&mut seg, &mut s);
    for (i, p) in points.iter().enumerate() {
        if let Some(v) = p.value {
            s.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" class=\"{}\"><title>{}: {}{}</title></circle>",
                r1(x(i)),
                r1(y(v)),
                if p.partial { "dot partial" } else { "dot" },
                esc(&p.label),
                esc(&fmt(v)),
                if p.partial { " (partial)" } else { "" }
            ));
        }
    }
    // Period labels: at most ~8, always the first and the last.
    let step = n.div_ceil(8).max(1);
    let last_regular = (n - 1) / step * step;
    for (i, p) in points.iter().enumerate() {
        let show = i % step == 0 || (i + 1 == n && x(i) - x(last_regular) >= 60.0);
        if show {
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
                r1(x(i)),
                r1(h - bottom + 18.0),
                esc(&p.label)
            ));
        }
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars of a distribution: (label, count, css class).
pub fn bars(items: &[(String, f64, &str)], title: &str) -> String {
    let (w, h) = (640.0, 170.0);
    let (left, right, top, bottom) = (16.0, 16.0, 20.0, 28.0);
    let mut s = format!(
        "<svg class=\"chart bars\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max);
    let n = items.len().max(1) as f64;
    let slot = (w - left - right) / n;
    let bw = (slot * 0.7).min(48.0);
    for (i, (label, v, class)) in items.iter().enumerate() {
        let bh = if max > 0.0 {
            (h - top - bottom) * v / max
        } else {
            0.0
        };
        let cx = left + slot * (i as f64 + 0.5);
        let yy = h - bottom - bh;
        s.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"bar {}\"><title>{}: {}</title></rect>",
            r1(cx - bw / 2.0),
            r1(yy),
            r1(bw),
            r1(bh),
            esc(class),
            esc(label),
            v
        ));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            r1(cx),
            r1(yy - 4.0),
            v
        ));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            r1(cx),
            r1(h - bottom + 16.0),
            esc(label)
        ));
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per group: (label, value); `fmt` formats the value.
pub fn hbars(items: &[(String, Option<f64>)], title: &str, fmt: &dyn Fn(f64) -> String) -> String {
    let row = 22.0;
    let (w, left, right) = (640.0, 170.0, 70.0);
    let h = row * items.len() as f64 + 8.0;
    let mut s = format!(
        "<svg class=\"chart hbars\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    let lo = items.iter().filter_map(|i| i.1).fold(0.0, f64::min);
    let hi = items.iter().filter_map(|i| i.1).fold(0.0, f64::max);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let x = |v: f64| left + (w - left - right) * (v - lo) / span;
    for (i, (label, v)) in items.iter().enumerate() {
        let yy = 4.0 + row * i as f64;
        let shown: String = label.chars().take(24).collect();
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            r1(left - 8.0),
            r1(yy + 14.0),
            esc(&shown)
        ));
        if let Some(v) = v {
            let (a, b) = (x(0.0_f64.max(lo)), x(*v));
            s.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"bar\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\" class=\"axis\">{}</text>",
                r1(a.min(b)),
                r1(yy + 3.0),
                r1((b - a).abs().max(1.0)),
                r1(row - 8.0),
                esc(label),
                esc(&fmt(*v)),
                r1(a.max(b) + 6.0),
                r1(yy + 14.0),
                esc(&fmt(*v))
            ));
        } else {
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" class=\"axis muted\">–</text>",
                r1(left + 4.0),
                r1(yy + 14.0)
            ));
        }
    }
    s.push_str("</svg>");
    s
}

/// A horizontal waterfall (`--explain`): the start value as a bar from 0, each step as a bar
/// floating from the running sum (green up, red down), and the end value as a bar from 0.
/// `fmt` formats values; steps are shown with their sign.
pub fn waterfall(
    start: (&str, f64),
    steps: &[(String, f64)],
    end: (&str, f64),
    title: &str,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let row = 22.0;
    let (w, left, right) = (640.0, 170.0, 80.0);
    let h = row * (steps.len() + 2) as f64 + 8.0;
    let mut s = format!(
        "<svg class=\"chart waterfall\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    // Every bar end, for the axis.
    let mut ends = vec![0.0, start.1, end.1];
    let mut run = start.1;
    for (_, d) in steps {
        run += d;
        ends.push(run);
    }
    let lo = ends.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ends.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let x = |v: f64| left + (w - left - right) * (v - lo) / span;
    let bar = |s: &mut String,
               i: usize,
               label: &str,
               from: f64,
               to: f64,
               class: &str,
               shown: String| {
        let yy = 4.0 + row * i as f64;
        let name: String = label.chars().take(26).collect();
        let (a, b) = (x(from), x(to));
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"{}\"><title>{}: {}</title></rect><text x=\"{}\" y=\"{}\" class=\"axis\">{}</text>",
            r1(left - 8.0),
            r1(yy + 14.0),
            esc(&name),
            r1(a.min(b)),
            r1(yy + 3.0),
            r1((b - a).abs().max(1.0)),
            r1(row - 8.0),
            if class.is_empty() {
                "bar".to_string()
            } else {
                format!("bar {class}")
            },
            esc(label),
            esc(&shown),
            r1(a.max(b) + 6.0),
            r1(yy + 14.0),
            esc(&shown)
        ));
    };
    bar(&mut s, 0, start.0, 0.0, start.1, "", fmt(start.1));
    let mut run = start.1;
    for (i, (label, d)) in steps.iter().enumerate() {
        let class = if *d > 0.0 {
            "promoter"
        } else if *d < 0.0 {
            "detractor"
        } else {
            "passive"
        };
        let sign = if *d > 0.0 { "+" } else { "" };
        bar(
            &mut s,
            i + 1,
            label,
            run,
            run + d,
            class,
            format!("{sign}{}", fmt(*d)),
        );
        run += d;
    }
    bar(&mut s, steps.len() + 1, end.0, 0.0, end.1, "", fmt(end.1));
    s.push_str("</svg>");
    s
}
