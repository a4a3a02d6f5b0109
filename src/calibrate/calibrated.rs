//! `calibrated.toml`: the scenario file as written, with each free key set to
//! its estimate (comments and layout kept), so it runs as it is.

use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

/// Sets each `(key, value)` (keys in `--set` syntax: `region.Norrbotten.calls_per_day`,
/// `region.*.patience.mean`, `defaults.shrinkage`) in `source`.
pub fn with_values(source: &str, values: &[(String, Value)]) -> Result<String, String> {
    let mut doc: DocumentMut = source.parse().map_err(|e| format!("cannot edit the scenario file: {e}"))?;
    for (key, value) in values {
        let path: Vec<&str> = key.split('.').collect();
        if set(doc.as_table_mut(), &path, value) == 0 {
            return Err(format!("cannot find `{key}` in the scenario file to write its estimate"));
        }
    }
    Ok(doc.to_string())
}

/// Sets `path` below `table`; returns how many places were set.
fn set(table: &mut dyn TableLike, path: &[&str], value: &Value) -> usize {
    let (key, rest) = (path[0], &path[1..]);
    if rest.is_empty() {
        table.insert(key, Item::Value(value.clone()));
        return 1;
    }
    if table.get(key).is_none() {
        table.insert(key, Item::Table(Table::new()));
    }
    match table.get_mut(key) {
        Some(Item::ArrayOfTables(list)) => {
            let entries: Vec<&mut dyn TableLike> = list.iter_mut().map(|t| t as &mut dyn TableLike).collect();
            set_in_list(entries, rest, value)
        }
        Some(Item::Value(Value::Array(list))) => {
            let entries: Vec<&mut dyn TableLike> = list
                .iter_mut()
                .filter_map(|v| v.as_inline_table_mut().map(|t| t as &mut dyn TableLike))
                .collect();
            set_in_list(entries, rest, value)
        }
        Some(item) => item.as_table_like_mut().map_or(0, |t| set(t, rest, value)),
        None => 0,
    }
}

/// `rest[0]` picks entries of a list as `--set` does: `*`, a position, or a name.
fn set_in_list(entries: Vec<&mut dyn TableLike>, rest: &[&str], value: &Value) -> usize {
    let Some((pick, below)) = rest.split_first() else {
        return 0;
    };
    if below.is_empty() {
        return 0;
    }
    let position = pick.parse::<usize>().ok();
    let wanted = crate::scenario::clean_name(pick);
    entries
        .into_iter()
        .enumerate()
        .filter(|(i, t)| {
            *pick == "*"
                || position == Some(*i)
                || t.get("name")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| crate::scenario::clean_name(n) == wanted)
        })
        .map(|(_, t)| set(t, below, value))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_set_in_tables_lists_and_inline_tables_keeping_comments() {
        let source = r#"# assumptions: …
start = "2024-01-01"
[defaults]
patience = { dist = "exponential", mean = "20m" } # assumed
[[region]]
name = "Örebro"
calls_per_day = 300
shifts = [{ from = "00:00", to = "24:00", nurses = 5 }]
[[region]]
name = "B"
calls_per_day = 100
"#;
        let out = with_values(
            source,
            &[
                ("defaults.patience.mean".into(), Value::from("12.5m")),
                ("region.Örebro.calls_per_day".into(), Value::from(388.5)),
                ("region.*.shrinkage".into(), Value::from(0.2)),
                ("region.0.shifts.0.nurses".into(), Value::from(6)),
            ],
        )
        .unwrap();
        assert!(out.starts_with("# assumptions: …"), "{out}");
        assert!(out.contains(r#"mean = "12.5m""#) && out.contains("# assumed"), "{out}");
        assert!(
            out.contains("calls_per_day = 388.5") && out.contains("calls_per_day = 100"),
            "{out}"
        );
        assert_eq!(out.matches("shrinkage = 0.2").count(), 2, "{out}");
        assert!(out.contains("nurses = 6"), "{out}");
        assert!(with_values(source, &[("region.Nowhere.calls_per_day".into(), Value::from(1.0))]).is_err());
    }
}
