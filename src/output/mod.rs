//! Every output of a run or a comparison, produced from the typed results in
//! [`crate::experiment`]: one file per format behind one small trait,
//! [`Export`] (as hyperfine's `export` module does), and [`io`] for writing
//! files, sets of files and standard output.
//!
//! | file | format |
//! | --- | --- |
//! | `text.rs` | the readable tables on standard output |
//! | `json.rs` | `summary.json`, `comparison.json`, `--format json` |
//! | `csv.rs` | `regions.csv`, `by_hour.csv`, `flows.csv`, `targets.csv`, `settlement.csv`, `settlement_pairs.csv`, `by_week.csv`, `by_month.csv` |
//! | `xlsx.rs` | `results.xlsx`: the CSV tables as one workbook |
//! | `charts.rs` | charts as PNG and SVG |
//! | `html.rs` | `report.html` |
//!
//! `words.rs` holds what the text tables and `report.html` say alike (a leaf
//! module, so that no format imports another that imports it back).

pub mod calibration;
pub mod charts;
pub mod csv;
pub mod erlang;
pub mod html;
pub mod io;
pub mod json;
pub mod staffing;
pub mod text;
pub mod words;
pub mod xlsx;

use crate::experiment::{Comparison, Summary};

/// A file of an output set: its name inside `--out` and its bytes.
pub type File = (String, Vec<u8>);

/// A format that contributes files to `--out`.
pub trait Export {
    /// The files this format writes for one run (`source`: the scenario file).
    fn run(&self, s: &Summary, source: &str) -> Result<Vec<File>, String>;
    /// The files this format writes for a comparison (each scenario's own
    /// tables come from [`Export::run`] of the table formats).
    fn comparison(&self, c: &Comparison, sources: &[String]) -> Result<Vec<File>, String>;
}

/// `summary.json` and `comparison.json`.
pub struct Json;
/// The CSV tables.
pub struct Csv;
/// `results.xlsx`.
pub struct Xlsx;
/// The charts, PNG and SVG.
pub struct Charts;
/// `report.html`.
pub struct Html;

fn with_newline(text: String) -> Vec<u8> {
    (text + "\n").into_bytes()
}

impl Export for Json {
    fn run(&self, s: &Summary, _: &str) -> Result<Vec<File>, String> {
        Ok(vec![("summary.json".into(), with_newline(json::summary(s)))])
    }
    fn comparison(&self, c: &Comparison, _: &[String]) -> Result<Vec<File>, String> {
        Ok(vec![("comparison.json".into(), with_newline(json::comparison(c)))])
    }
}

impl Export for Csv {
    fn run(&self, s: &Summary, _: &str) -> Result<Vec<File>, String> {
        Ok(vec![
            ("regions.csv".into(), csv::regions_csv(s)),
            ("by_hour.csv".into(), csv::by_hour_csv(s)),
            ("flows.csv".into(), csv::flows_csv(s)),
            ("targets.csv".into(), csv::targets_csv(s)),
            ("settlement.csv".into(), csv::settlement_csv(s)),
            ("settlement_pairs.csv".into(), csv::settlement_pairs_csv(s)),
            ("by_week.csv".into(), csv::series_csv(&s.by_week)),
            ("by_month.csv".into(), csv::series_csv(&s.by_month)),
        ])
    }
    fn comparison(&self, _: &Comparison, _: &[String]) -> Result<Vec<File>, String> {
        Ok(vec![])
    }
}

impl Export for Xlsx {
    fn run(&self, s: &Summary, _: &str) -> Result<Vec<File>, String> {
        Ok(vec![("results.xlsx".into(), xlsx::workbook(s)?)])
    }
    fn comparison(&self, _: &Comparison, _: &[String]) -> Result<Vec<File>, String> {
        Ok(vec![])
    }
}

impl Export for Charts {
    fn run(&self, s: &Summary, _: &str) -> Result<Vec<File>, String> {
        charts::files(&charts::run_charts(s))
    }
    fn comparison(&self, c: &Comparison, _: &[String]) -> Result<Vec<File>, String> {
        charts::files(&charts::comparison_charts(c))
    }
}

impl Export for Html {
    fn run(&self, s: &Summary, source: &str) -> Result<Vec<File>, String> {
        let page = html::run_report(s, source, &charts::run_charts(s));
        Ok(vec![("report.html".into(), page.into_bytes())])
    }
    fn comparison(&self, c: &Comparison, sources: &[String]) -> Result<Vec<File>, String> {
        let page = html::compare_report(c, sources, &charts::comparison_charts(c));
        Ok(vec![("report.html".into(), page.into_bytes())])
    }
}

/// The files of `run --out`: tables, charts and `report.html`.
pub fn run_files(s: &Summary, source: &str) -> Result<Vec<File>, String> {
    let mut files = vec![];
    for format in [&Json as &dyn Export, &Csv, &Xlsx, &Charts, &Html] {
        files.extend(format.run(s, source)?);
    }
    Ok(files)
}

/// The tables of one run (`summary.json`, the CSV files and `results.xlsx`).
pub fn table_files(s: &Summary) -> Result<Vec<File>, String> {
    let mut files = Json.run(s, "")?;
    files.extend(Csv.run(s, "")?);
    files.extend(Xlsx.run(s, "")?);
    Ok(files)
}

/// The files of `compare --out`: `comparison.json`, each scenario's tables in
/// a numbered sub-folder, the charts and `report.html`.
pub fn comparison_files(c: &Comparison, sources: &[String]) -> Result<Vec<File>, String> {
    let mut files = Json.comparison(c, sources)?;
    for (k, s) in c.summaries.iter().enumerate() {
        let folder = format!("{}-{}", k + 1, slug(&s.scenario));
        files.extend(table_files(s)?.into_iter().map(|(name, bytes)| (format!("{folder}/{name}"), bytes)));
    }
    files.extend(Charts.comparison(c, sources)?);
    files.extend(Html.comparison(c, sources)?);
    Ok(files)
}

/// Writes a set of files into `set` and moves it into place as a whole.
pub fn commit(set: io::OutputSet, files: Vec<File>) -> std::io::Result<()> {
    for (name, bytes) in &files {
        set.write(name, bytes)?;
    }
    set.commit()
}

/// Longest slug, in characters: file names stay far below the usual limit of 255 bytes.
const MAX_SLUG: usize = 60;

/// A file-name-safe version of a scenario name (letters, digits and `-`, at
/// most 60 characters).
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    let cut: String = s.chars().take(MAX_SLUG).collect();
    cut.trim_end_matches('-').to_string()
}
