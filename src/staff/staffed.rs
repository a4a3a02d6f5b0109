//! `staffed.toml`: the scenario file as written (comments and layout kept)
//! with the new staffing: each adjusted shift's `nurses` set in place, new
//! shifts from `shift_patterns` appended to the region's `shifts`, and a
//! region whose shifts came from a `shifts_file` given inline shifts instead
//! (the file itself is never changed).

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, TableLike, Value};

use crate::scenario::Scenario;

use super::plan::{clock_text, days_text};

use super::StaffingRow;

/// The scenario `source` (loaded as `scenario`) with the staffing of `rows`.
pub fn with_staffing(source: &str, scenario: &Scenario, rows: &[StaffingRow]) -> Result<String, String> {
    let mut doc: DocumentMut = source.parse().map_err(|e| format!("cannot edit the scenario file: {e}"))?;
    let mut regions: Vec<usize> = rows.iter().filter_map(|row| scenario.region_index(&row.region)).collect();
    regions.dedup();
    for r in regions {
        let mine: Vec<&StaffingRow> = rows.iter().filter(|row| scenario.region_index(&row.region) == Some(r)).collect();
        let region = region_table(&mut doc, r).ok_or_else(|| format!("cannot find region {r} in the scenario file"))?;
        if region.contains_key("shifts_file") {
            // The file is not ours to change: the region gets its shifts inline.
            region.remove("shifts_file");
            region.remove("shifts_sheet");
            region.insert("shifts", Item::Value(Value::Array(Array::new())));
            for (k, shift) in scenario.regions[r].shifts.iter().enumerate() {
                let nurses = mine
                    .iter()
                    .find(|row| row.shift == k && !row.new)
                    .map_or(shift.nurses, |row| row.nurses);
                let mut entry = shift_entry(
                    &days_text(shift.window.days),
                    &clock_text(shift.window.from),
                    &clock_text(shift.window.to),
                    nurses,
                );
                entry.insert("absence", Value::from(shift.absence));
                push(region, entry)?;
            }
        } else {
            for row in mine.iter().filter(|row| !row.new) {
                set_nurses(region, row.shift, row.nurses)?;
            }
        }
        for row in mine.iter().filter(|row| row.new && row.nurses > 0) {
            push(region, shift_entry(&row.days, &row.from, &row.to, row.nurses))?;
        }
    }
    Ok(doc.to_string())
}

/// Whether `scenario` has the staffing of `rows` (each row's shift, by region and position).
pub fn has_staffing(scenario: &Scenario, rows: &[StaffingRow]) -> bool {
    rows.iter().all(|row| {
        scenario
            .region_index(&row.region)
            .and_then(|r| scenario.regions[r].shifts.get(row.shift))
            .is_some_and(|s| s.nurses == row.nurses && days_text(s.window.days) == row.days && clock_text(s.window.from) == row.from)
    })
}

/// `{ days = "Mon-Fri", from = "07:00", to = "16:00", nurses = 6 }`.
fn shift_entry(days: &str, from: &str, to: &str, nurses: u32) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("days", Value::from(days));
    t.insert("from", Value::from(from));
    t.insert("to", Value::from(to));
    t.insert("nurses", Value::from(nurses as i64));
    t
}

/// The `r`-th `[[region]]` table.
fn region_table(doc: &mut DocumentMut, r: usize) -> Option<&mut dyn TableLike> {
    match doc.get_mut("region")? {
        Item::ArrayOfTables(list) => list.get_mut(r).map(|t| t as &mut dyn TableLike),
        Item::Value(Value::Array(list)) => list
            .get_mut(r)
            .and_then(|v| v.as_inline_table_mut())
            .map(|t| t as &mut dyn TableLike),
        _ => None,
    }
}

/// Sets `nurses` of the `k`-th shift of a region.
fn set_nurses(region: &mut dyn TableLike, k: usize, nurses: u32) -> Result<(), String> {
    let shift: Option<&mut dyn TableLike> = match region.get_mut("shifts") {
        Some(Item::ArrayOfTables(list)) => list.get_mut(k).map(|t| t as &mut dyn TableLike),
        Some(Item::Value(Value::Array(list))) => list
            .get_mut(k)
            .and_then(|v| v.as_inline_table_mut())
            .map(|t| t as &mut dyn TableLike),
        _ => None,
    };
    let shift = shift.ok_or_else(|| format!("cannot find shift {k} in the scenario file"))?;
    // Keep the comment after the value, if any.
    let decor = shift.get("nurses").and_then(|i| i.as_value()).map(|v| v.decor().clone());
    let mut value = Value::from(nurses as i64);
    if let Some(d) = decor {
        *value.decor_mut() = d;
    }
    shift.insert("nurses", Item::Value(value));
    Ok(())
}

/// Appends a shift to a region's `shifts` (an inline array or `[[region.shifts]]`).
fn push(region: &mut dyn TableLike, entry: InlineTable) -> Result<(), String> {
    if region.get("shifts").is_none() {
        region.insert("shifts", Item::Value(Value::Array(Array::new())));
    }
    match region.get_mut("shifts") {
        Some(Item::Value(Value::Array(list))) => {
            list.push(entry);
            Ok(())
        }
        Some(Item::ArrayOfTables(list)) => {
            let list: &mut ArrayOfTables = list;
            list.push(entry.into_table());
            Ok(())
        }
        _ => Err("the region's shifts are neither a list nor [[region.shifts]] tables".into()),
    }
}

/// Where `with_set` (the scenario as `--set` left it) no longer has the
/// regions and shifts of `file` (the scenario file alone), in the same order.
/// `staffed.toml` edits the file by those positions, so a `--set` that adds
/// or removes regions or shifts would put nurses on the wrong shift.
pub fn layout_change(file: &Scenario, with_set: &Scenario) -> Option<String> {
    let names = |s: &Scenario| s.regions.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    if names(file) != names(with_set) {
        return Some(format!(
            "the regions are {} in the file and {} with --set",
            names(file).join(", "),
            names(with_set).join(", ")
        ));
    }
    file.regions.iter().zip(&with_set.regions).find_map(|(a, b)| {
        (a.shifts.len() != b.shifts.len()).then(|| {
            format!(
                "region `{}` has {} shifts in the file and {} with --set",
                a.name,
                a.shifts.len(),
                b.shifts.len()
            )
        })
    })
}
