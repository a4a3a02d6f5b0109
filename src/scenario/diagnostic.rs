//! Problems found in a scenario, with the place in the file they come from,
//! rendered the way compilers do: `file:line:column`, the line, a caret, a hint.

use std::fmt::Write as _;

/// Where a piece of text came from: the scenario file, or one `--set` flag.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// A byte range in one of the sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub source: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug)]
pub struct Problem {
    pub span: Option<Span>,
    pub message: String,
    pub hint: Option<String>,
}

/// Collects every problem of a scenario so `check` can list them all at once.
#[derive(Default, Debug)]
pub struct Problems {
    pub list: Vec<Problem>,
}

impl Problems {
    pub fn at(&mut self, span: Span, message: impl Into<String>) -> &mut Problem {
        self.list.push(Problem {
            span: Some(span),
            message: message.into(),
            hint: None,
        });
        self.list.last_mut().unwrap()
    }

    pub fn general(&mut self, message: impl Into<String>) -> &mut Problem {
        self.list.push(Problem {
            span: None,
            message: message.into(),
            hint: None,
        });
        self.list.last_mut().unwrap()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Renders every problem as a warning (`warning:`), in file order, one
    /// text per warning and without a count.
    pub fn render_warnings(&self, sources: &[Source]) -> Vec<String> {
        let mut list: Vec<&Problem> = self.list.iter().collect();
        list.sort_by_key(|p| p.span.map(|s| (s.source, s.start)).unwrap_or((usize::MAX, 0)));
        list.iter().map(|p| render_as("warning", p, sources)).collect()
    }

    /// Renders every problem, in file order.
    pub fn render(&self, sources: &[Source]) -> String {
        let mut list: Vec<&Problem> = self.list.iter().collect();
        list.sort_by_key(|p| p.span.map(|s| (s.source, s.start)).unwrap_or((usize::MAX, 0)));
        let mut out = String::new();
        for p in &list {
            out += &render_problem(p, sources);
        }
        let n = list.len();
        let _ = writeln!(out, "{n} problem{} found", if n == 1 { "" } else { "s" });
        out
    }
}

/// One problem without its source text: the message (and hint); render it
/// with [`Problems::render`] to show its place.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&visible(&self.message))?;
        if let Some(h) = &self.hint {
            write!(f, " (help: {})", visible(h))?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl Problem {
    pub fn hint(&mut self, hint: impl Into<String>) -> &mut Problem {
        self.hint = Some(hint.into());
        self
    }
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn render_problem(p: &Problem, sources: &[Source]) -> String {
    render_as("error", p, sources)
}

fn render_as(label: &str, p: &Problem, sources: &[Source]) -> String {
    let mut out = format!("{label}: {}\n", visible(&p.message));
    if let Some(span) = p.span {
        let src = &sources[span.source];
        let (line, col) = line_col(&src.text, span.start);
        let line_text = src.text.lines().nth(line - 1).unwrap_or("");
        let width = line_text.chars().count();
        let len = src.text[floor_char_boundary(&src.text, span.start)..floor_char_boundary(&src.text, span.end.max(span.start))]
            .chars()
            .take_while(|&c| c != '\n')
            .count()
            .clamp(1, (width + 1).saturating_sub(col - 1).max(1));
        let gutter = " ".repeat(line.to_string().len());
        let _ = writeln!(out, "{gutter}--> {}:{line}:{col}", visible(&src.name));
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{line} | {}", visible(line_text));
        let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(col - 1), "^".repeat(len));
        if let Some(h) = &p.hint {
            let _ = writeln!(out, "{gutter} = help: {}", visible(h));
        }
    } else if let Some(h) = &p.hint {
        let _ = writeln!(out, "  = help: {}", visible(h));
    }
    out.push('\n');
    out
}

/// Text as it may be shown on a terminal: control characters (escape
/// sequences among them) become visible symbols of the same width (␛, ␀, …),
/// so nothing a scenario contains can drive the terminal.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| match c as u32 {
                0x09 => ' ',
                0x0a => '\n',
                n @ 0x00..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
                0x7f => '\u{2421}',
                _ if c.is_control() => '\u{FFFD}',
                _ => c,
            })
            .collect(),
    )
}

/// Longest word or candidate (in characters) that suggestions consider: typos
/// are made in names people type, and longer texts would make hints slow.
const MAX_SUGGEST_CHARS: usize = 64;
/// Candidates considered for one suggestion.
const MAX_SUGGEST_CANDIDATES: usize = 1_000;

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
/// Bounded work: words or candidates longer than 64 characters are not
/// compared, at most 1,000 candidates are tried, and each comparison stops
/// as soon as it exceeds the distance that would still count as a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if word.chars().count() > MAX_SUGGEST_CHARS {
        return None;
    }
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates.into_iter().take(MAX_SUGGEST_CANDIDATES) {
        let len = c.chars().count();
        if len > MAX_SUGGEST_CHARS {
            continue;
        }
        let mut limit = 2.max(len / 3);
        if let Some((d, _)) = best {
            limit = limit.min(d.saturating_sub(1));
        }
        let cand: Vec<char> = c.to_lowercase().chars().collect();
        if let Some(d) = bounded_edit_distance(&word, &cand, limit) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance of `a` and `b` if it is at most `limit`.
fn bounded_edit_distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        let mut row_min = row[0];
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
            row_min = row_min.min(row[j + 1]);
        }
        if row_min > limit {
            return None;
        }
    }
    (row[b.len()] <= limit).then_some(row[b.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_rendering() {
        let src = Source {
            name: "s.toml".into(),
            text: "a = 1\nname = \"Jönköping\"\nb = 2\n".into(),
        };
        assert_eq!(line_col(&src.text, 0), (1, 1));
        assert_eq!(line_col(&src.text, 13), (2, 8));
        let mut probs = Problems::default();
        probs
            .at(
                Span {
                    source: 0,
                    start: 13,
                    end: 24,
                },
                "bad name",
            )
            .hint("try another");
        let out = probs.render(&[src]);
        assert!(out.contains("s.toml:2:8"), "{out}");
        assert!(out.contains("help: try another"));
        assert_eq!(did_you_mean("nurse", ["nurses", "days"]), Some("nurses"));
        assert_eq!(did_you_mean("xyz", ["nurses", "days"]), None);
    }

    #[test]
    fn suggestions_are_bounded() {
        // Words and candidates beyond 64 characters are not compared at all.
        let long = "x".repeat(10_000);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
        assert_eq!(did_you_mean("nurses", [long.as_str(), "nurse"]), Some("nurse"));
        // The first of equally close candidates wins, as before.
        assert_eq!(did_you_mean("ab", ["ac", "ad"]), Some("ac"));
        assert_eq!(bounded_edit_distance(&['a'; 3], &['b'; 40], 2), None);
        assert_eq!(bounded_edit_distance(&['k', 'i', 't'], &['s', 'i', 't'], 2), Some(1));
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(visible("a\u{1b}[31mb\u{7}"), "a\u{241b}[31mb\u{2407}");
        assert_eq!(visible("Örebro"), "Örebro");
        let src = Source {
            name: "x\u{1b}.toml".into(),
            text: "a = \"\u{1b}]0;t\u{7}\"\n".into(),
        };
        let mut probs = Problems::default();
        probs.at(
            Span {
                source: 0,
                start: 4,
                end: 10,
            },
            "bad \u{1b}[2J",
        );
        let out = probs.render(&[src]);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    }
}
