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
    let mut out = format!("error: {}\n", p.message);
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
        let _ = writeln!(out, "{gutter}--> {}:{line}:{col}", src.name);
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{line} | {line_text}");
        let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(col - 1), "^".repeat(len));
        if let Some(h) = &p.hint {
            let _ = writeln!(out, "{gutter} = help: {h}");
        }
    } else if let Some(h) = &p.hint {
        let _ = writeln!(out, "  = help: {h}");
    }
    out.push('\n');
    out
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|&(d, c)| d <= 2.max(c.chars().count() / 3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
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
}
