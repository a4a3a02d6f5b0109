//! A TOML document as a tree in which every key and value keeps its place in
//! the text, so validation can point at the exact line and column. `--set`
//! overrides are applied to this tree; their values point at the flag.

use super::diagnostic::{did_you_mean, Problems, Span};
use toml::de::{DeTable, DeValue};

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A TOML date or time, kept as text (`2024-03-04`, `07:00`).
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
}

#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Value {
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "true/false",
            Value::Datetime(_) => "a date or time",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, n)| n),
            _ => None,
        }
    }

    /// Text of a string (or a TOML date/time, which users often leave unquoted).
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) | Value::Datetime(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }
}

/// Syntax errors listed for one file at most; the rest are counted.
const MAX_SYNTAX_ERRORS: usize = 50;

/// Parses one source into a tree; every TOML syntax error becomes a problem.
pub fn parse(source_index: usize, text: &str, problems: &mut Problems) -> Option<Node> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        let span = to_span(source_index, doc.span());
        return Some(Node {
            span,
            value: Value::Table(convert_table(source_index, doc.get_ref())),
        });
    }
    // One error a line: the parser's recovery often reports follow-on errors
    // at the same place.
    let mut lines_seen = std::collections::HashSet::new();
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let errors: Vec<(String, std::ops::Range<usize>)> = errors
        .iter()
        .map(|err| {
            let message = err.message().trim().to_string();
            let range = err.span().unwrap_or_else(|| unlocated_error(text, &message));
            (message, range)
        })
        .filter(|(_, range)| lines_seen.insert(newlines.partition_point(|&i| i < range.start)))
        .collect();
    let total = errors.len();
    for (i, (message, range)) in errors.into_iter().enumerate() {
        let message = message.as_str();
        let range = range.clone();
        let span = Span {
            source: source_index,
            start: range.start,
            end: range.end,
        };
        if i == MAX_SYNTAX_ERRORS {
            problems
                .at(span, format!("{} more TOML syntax errors from here on", total - i))
                .hint("fix the first ones: later errors often follow from them");
            break;
        }
        let problem = problems.at(span, format!("TOML syntax: {message}"));
        if message.contains("recurs") {
            problem.hint("lists, tables or dotted keys are nested too deeply (at most 80 levels)");
        } else {
            problem.hint("check quotes, brackets and `key = value` pairs on this line");
        }
    }
    None
}

/// A place for a syntax error the parser gives no position: the only such
/// error is a dotted key nested too deeply, so the first line whose key has
/// that many parts; else the start of the file.
fn unlocated_error(text: &str, message: &str) -> std::ops::Range<usize> {
    if message.contains("recurs") {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let key = line.split('=').next().unwrap_or(line);
            if key.matches('.').count() >= 40 {
                let indent = line.len() - line.trim_start().len();
                let end = offset + line.trim_end().len();
                return offset + indent..end.max(offset + indent + 1);
            }
            offset += line.len();
        }
    }
    0..0
}

fn to_span(source: usize, r: std::ops::Range<usize>) -> Span {
    Span {
        source,
        start: r.start,
        end: r.end,
    }
}

fn convert_table(src: usize, table: &DeTable<'_>) -> Vec<(Key, Node)> {
    table
        .iter()
        .map(|(k, v)| {
            let key = Key {
                name: k.get_ref().to_string(),
                span: to_span(src, k.span()),
            };
            (key, convert_value(src, v.span(), v.get_ref()))
        })
        .collect()
}

fn convert_value(src: usize, range: std::ops::Range<usize>, v: &DeValue<'_>) -> Node {
    let value = match v {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Value::Float(parse_toml_float(f.as_str())),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(a.iter().map(|n| convert_value(src, n.span(), n.get_ref())).collect()),
        DeValue::Table(t) => Value::Table(convert_table(src, t)),
    };
    Node {
        span: to_span(src, range),
        value,
    }
}

fn parse_toml_float(text: &str) -> f64 {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    match clean.trim_start_matches(['+', '-']) {
        "inf" => {
            if clean.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        "nan" => f64::NAN,
        _ => clean.parse().unwrap_or(f64::NAN),
    }
}

/// Applies `--set KEY=VALUE` to the tree. KEY is a dotted path; array entries
/// are chosen by index or, for tables with a `name`, by name (`region.Kalmar`).
/// VALUE is read as TOML (`7`, `true`, `[1, 2]`), else taken as text (`4m`).
pub fn apply_override(root: &mut Node, source_index: usize, flag: &str, problems: &mut Problems) {
    let whole = Span {
        source: source_index,
        start: 0,
        end: flag.len(),
    };
    let Some((path, text)) = flag.split_once('=') else {
        problems
            .at(whole, format!("`--set {flag}` has no `=`"))
            .hint("write --set KEY=VALUE, e.g. --set region.Kalmar.shifts.0.nurses=7");
        return;
    };
    let value_span = Span {
        source: source_index,
        start: path.len() + 1,
        end: flag.len(),
    };
    // `KEY+=VALUE` appends to a list; `KEY=remove` removes a list entry or a key.
    let (path, append) = match path.strip_suffix('+') {
        Some(p) => (p, true),
        None => (path, false),
    };
    let remove = !append && text.trim() == "remove";
    let value = parse_override_value(text, value_span);
    let keys: Vec<&str> = path.trim().split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        problems
            .at(Span { end: path.len(), ..whole }, format!("`{path}` is not a key path"))
            .hint("write parts separated by dots, e.g. agreement.national.overflow_after");
        return;
    }
    if append || remove {
        let result = if append {
            append_at(root, &keys, value)
        } else {
            remove_at(root, &keys)
        };
        if let Err(msg) = result {
            let hint = if append {
                "KEY+=VALUE appends to a list, e.g. --set 'region.Kalmar.shifts+={ from = \"22:00\", to = \"07:00\", nurses = 2 }'"
            } else {
                "KEY=remove removes a list entry (agreement.national=remove, region.Kalmar.shifts.1=remove) or a key; write \"remove\" in quotes for the text"
            };
            problems.at(Span { end: path.len(), ..whole }, msg).hint(hint);
        }
        return;
    }
    if let Err(msg) = set_path(root, &keys, value) {
        problems
            .at(Span { end: path.len(), ..whole }, msg)
            .hint("the path names keys, list positions (0, 1, …) or names of regions/agreements");
    }
}

fn parse_override_value(text: &str, span: Span) -> Node {
    let doc = format!("v = {text}");
    if let Ok(t) = DeTable::parse(&doc) {
        if let Some(v) = t.get_ref().get("v") {
            let mut node = convert_value(span.source, 0..0, v.get_ref());
            relocate(&mut node, span);
            return node;
        }
    }
    Node {
        span,
        value: Value::Str(text.trim().to_string()),
    }
}

fn relocate(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.value {
        Value::Array(items) => items.iter_mut().for_each(|n| relocate(n, span)),
        Value::Table(entries) => entries.iter_mut().for_each(|(k, n)| {
            k.span = span;
            relocate(n, span)
        }),
        _ => {}
    }
}

/// The position in a list of the entry named by `key`: an index, or the
/// `name` of a table (compared in Unicode NFC).
fn entry_index(items: &[Node], key: &str) -> Result<usize, String> {
    if let Ok(i) = key.parse::<usize>() {
        return if i < items.len() {
            Ok(i)
        } else {
            Err(format!("there is no entry {i}: the list has {} (counting from 0)", items.len()))
        };
    }
    let wanted = super::read::clean_name(key);
    items
        .iter()
        .position(|n| {
            n.get("name")
                .and_then(Node::as_text)
                .is_some_and(|n| super::read::clean_name(n) == wanted)
        })
        .ok_or_else(|| {
            let names: Vec<&str> = items.iter().filter_map(|n| n.get("name").and_then(Node::as_text)).collect();
            let mut msg = format!("no entry named `{key}`");
            if let Some(s) = did_you_mean(key, names.iter().copied()) {
                msg += &format!(" (did you mean `{s}`?)");
            }
            msg
        })
}

/// The node at `keys` (which must exist).
fn node_at<'a>(node: &'a mut Node, keys: &[&str]) -> Result<&'a mut Node, String> {
    let Some((first, rest)) = keys.split_first() else { return Ok(node) };
    let child = match &mut node.value {
        Value::Table(entries) => match entries.iter().position(|(k, _)| k.name == *first) {
            Some(p) => &mut entries[p].1,
            None => return Err(format!("there is no key `{first}` here")),
        },
        Value::Array(items) => {
            let i = entry_index(items, first)?;
            &mut items[i]
        }
        _ => return Err(format!("`{first}` is inside a value that is neither a table nor a list")),
    };
    node_at(child, rest)
}

/// `KEY+=VALUE`: appends `value` to the list at `keys` (a new list when the key is absent).
fn append_at(root: &mut Node, keys: &[&str], value: Node) -> Result<(), String> {
    let (last, parents) = keys.split_last().expect("non-empty path");
    let span = value.span;
    let parent = node_at(root, parents)?;
    let list = match &mut parent.value {
        Value::Table(entries) => match entries.iter().position(|(k, _)| k.name == *last) {
            Some(p) => &mut entries[p].1,
            None => {
                entries.push((
                    Key {
                        name: last.to_string(),
                        span,
                    },
                    Node {
                        span,
                        value: Value::Array(vec![]),
                    },
                ));
                &mut entries.last_mut().expect("just pushed").1
            }
        },
        Value::Array(items) => {
            let i = entry_index(items, last)?;
            &mut items[i]
        }
        _ => return Err(format!("`{last}` is inside a value that is neither a table nor a list")),
    };
    match &mut list.value {
        Value::Array(items) => {
            items.push(value);
            Ok(())
        }
        other => Err(format!("`{last}` is {}, not a list: += appends to lists only", other.kind())),
    }
}

/// `KEY=remove`: removes the list entry or the key at `keys`.
fn remove_at(root: &mut Node, keys: &[&str]) -> Result<(), String> {
    let (last, parents) = keys.split_last().expect("non-empty path");
    match &mut node_at(root, parents)?.value {
        Value::Table(entries) => match entries.iter().position(|(k, _)| k.name == *last) {
            Some(p) => {
                entries.remove(p);
                Ok(())
            }
            None => Err(format!("there is no key `{last}` to remove")),
        },
        Value::Array(items) => {
            let i = entry_index(items, last)?;
            items.remove(i);
            Ok(())
        }
        _ => Err(format!("`{last}` is inside a value that is neither a table nor a list")),
    }
}

fn set_path(node: &mut Node, keys: &[&str], value: Node) -> Result<(), String> {
    let (first, rest) = keys.split_first().expect("non-empty path");
    let span = value.span;
    match &mut node.value {
        Value::Table(entries) => {
            let pos = match entries.iter().position(|(k, _)| k.name == *first) {
                Some(p) => p,
                None if rest.is_empty() => {
                    entries.push((
                        Key {
                            name: first.to_string(),
                            span,
                        },
                        value,
                    ));
                    return Ok(());
                }
                None => {
                    entries.push((
                        Key {
                            name: first.to_string(),
                            span,
                        },
                        Node {
                            span,
                            value: Value::Table(vec![]),
                        },
                    ));
                    entries.len() - 1
                }
            };
            if rest.is_empty() {
                entries[pos].1 = value;
                Ok(())
            } else {
                set_path(&mut entries[pos].1, rest, value)
            }
        }
        Value::Array(items) if *first == "*" => {
            // Every entry: region.*.volume_factor=1.2
            for item in items.iter_mut() {
                if rest.is_empty() {
                    *item = value.clone();
                } else {
                    set_path(item, rest, value.clone())?;
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            let index = match first.parse::<usize>() {
                Ok(i) if i < items.len() => i,
                Ok(i) => return Err(format!("there is no entry {i}: the list has {} (counting from 0)", items.len())),
                Err(_) => {
                    let names: Vec<&str> = items.iter().filter_map(|n| n.get("name").and_then(Node::as_text)).collect();
                    // Names compare in Unicode NFC, as the scenario reader compares them.
                    let wanted = super::read::clean_name(first);
                    match items.iter().position(|n| {
                        n.get("name")
                            .and_then(Node::as_text)
                            .is_some_and(|n| super::read::clean_name(n) == wanted)
                    }) {
                        Some(i) => i,
                        None => {
                            let mut msg = format!("no entry named `{first}`");
                            if let Some(s) = did_you_mean(first, names.iter().copied()) {
                                msg += &format!(" (did you mean `{s}`?)");
                            }
                            return Err(msg);
                        }
                    }
                }
            };
            if rest.is_empty() {
                items[index] = value;
                Ok(())
            } else {
                set_path(&mut items[index], rest, value)
            }
        }
        _ => Err(format!("`{first}` is inside a value that is neither a table nor a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        let mut p = Problems::default();
        parse(0, text, &mut p).unwrap()
    }

    #[test]
    fn overrides_by_name_and_index() {
        let mut root = doc("[[region]]\nname = \"Kalmar\"\nshifts = [{ nurses = 5 }]\n");
        let mut p = Problems::default();
        apply_override(&mut root, 1, "region.Kalmar.shifts.0.nurses=7", &mut p);
        apply_override(&mut root, 2, "horizon=2w", &mut p);
        assert!(p.is_empty(), "{p:?}");
        let region = &root.get("region").unwrap();
        let Value::Array(rs) = &region.value else { panic!() };
        let Value::Array(shifts) = &rs[0].get("shifts").unwrap().value else {
            panic!()
        };
        assert!(matches!(shifts[0].get("nurses").unwrap().value, Value::Int(7)));
        assert_eq!(root.get("horizon").unwrap().as_text(), Some("2w"));
        apply_override(&mut root, 3, "region.Kalmr.calls_per_week=1", &mut p);
        assert!(p.list[0].message.contains("did you mean `Kalmar`"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let mut p = Problems::default();
        assert!(parse(0, "a = \n", &mut p).is_none());
        assert!(p.list[0].span.is_some());
    }
}
