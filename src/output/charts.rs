//! Charts as PNG and SVG, drawn with plotters. Text uses an embedded font
//! (DejaVu Sans), so charts render on machines without system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::calendar::WEEKDAYS;
use crate::experiment::{Comparison, Summary};
use crate::scenario::Bound;

const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (1000, 520);

/// Registers the embedded font once per process.
fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a known-good TrueType font: registration cannot fail.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// How the x axis is labelled.
#[derive(Clone, Debug)]
pub enum XAxis {
    /// Plain numbers.
    Numbers {
        /// The unit (shown in the axis description).
        unit: String,
    },
    /// 0..168 hours, labelled Mon…Sun.
    HourOfWeek,
    /// Positions 0..k labelled with these texts (categorical sweep values).
    Labels(Vec<String>),
}

/// Lines over a numeric or labelled x axis.
#[derive(Clone, Debug)]
pub struct LineChart {
    /// The title.
    pub title: String,
    /// How the x axis is labelled.
    pub x: XAxis,
    /// The x axis description.
    pub x_desc: String,
    /// The y axis description.
    pub y_desc: String,
    /// Values shown as percentages.
    pub y_percent: bool,
    /// Named series of `(x, y)` points (`NaN` y: no value).
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// A horizontal target line and its label.
    pub target: Option<(f64, String)>,
}

/// A heat map of who answered whose calls.
#[derive(Clone, Debug)]
pub struct FlowMatrix {
    /// The title.
    pub title: String,
    /// Row and column names (regions).
    pub names: Vec<String>,
    /// `values[r][j]`: calls of region r answered by nurses of region j.
    pub values: Vec<Vec<f64>>,
    /// Net calls answered for others, per region (shown beside the rows).
    pub net: Vec<f64>,
}

/// Groups of bars, one bar per series in each group.
#[derive(Clone, Debug)]
pub struct BarChart {
    /// The title.
    pub title: String,
    /// The y axis description.
    pub y_desc: String,
    /// Values shown as percentages.
    pub y_percent: bool,
    /// Group labels (x axis) and, per series, one value per group.
    pub groups: Vec<String>,
    /// Named series, one value per group.
    pub series: Vec<(String, Vec<f64>)>,
}

/// Any chart.
#[derive(Clone, Debug)]
pub enum Chart {
    /// Lines.
    Lines(LineChart),
    /// A flow heat map.
    Flows(FlowMatrix),
    /// Bars.
    Bars(BarChart),
}

/// A chart with the file name (without extension) it is written under.
#[derive(Clone, Debug)]
pub struct NamedChart {
    /// The file name without extension.
    pub file: String,
    /// The chart.
    pub chart: Chart,
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn color(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 16] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(0, 0, 0),
        RGBColor(255, 187, 120),
        RGBColor(152, 223, 138),
        RGBColor(174, 199, 232),
        RGBColor(197, 176, 213),
        RGBColor(247, 182, 210),
    ];
    COLORS[i % COLORS.len()]
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Lines(c) => draw_lines(&root, c)?,
        Chart::Flows(c) => draw_flows(&root, c)?,
        Chart::Bars(c) => draw_bars(&root, c)?,
    }
    root.present().map_err(err)
}

fn percent_or_number(percent: bool, y: f64) -> String {
    if percent {
        format!("{:.0} %", y * 100.0)
    } else if y.abs() >= 100.0 {
        format!("{y:.0}")
    } else {
        format!("{y:.1}")
    }
}

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LineChart) -> DrawResult {
    let points = c.series.iter().flat_map(|(_, p)| p.iter()).filter(|p| p.1.is_finite());
    let (mut x0, mut x1, mut y_min, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, 0f64);
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y_min = y_min.min(y);
        y1 = y1.max(y);
    }
    if let XAxis::HourOfWeek = c.x {
        (x0, x1) = (0.0, 168.0);
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if let Some((t, _)) = &c.target {
        y1 = y1.max(*t);
        y_min = y_min.min(*t);
    }
    // Shares: zoom to the data in steps of 10 % (differences of a few points
    // must be visible); other values start at zero.
    let (y0, y1) = if c.y_percent {
        let low = if y_min.is_finite() {
            ((y_min - 0.02) * 10.0).floor() / 10.0
        } else {
            0.0
        };
        (low.clamp(0.0, 0.9), ((y1 + 0.02) * 10.0).ceil().clamp(1.0, 10.0) / 10.0)
    } else {
        (0.0, (y1 * 1.1).max(1e-9))
    };
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 22))
        .margin(15)
        .margin_right(45)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let x_axis = c.x.clone();
    let x_format = move |x: &f64| match &x_axis {
        XAxis::Numbers { .. } => format!("{x}"),
        XAxis::HourOfWeek => WEEKDAYS[((*x as usize) / 24).min(6)].to_string(),
        XAxis::Labels(labels) => labels.get(x.round() as usize).cloned().unwrap_or_default(),
    };
    let x_labels = match &c.x {
        XAxis::HourOfWeek => 8,
        XAxis::Labels(l) => l.len().max(2),
        XAxis::Numbers { .. } => 10,
    };
    let percent = c.y_percent;
    chart
        .configure_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_labels(x_labels)
        .x_label_formatter(&x_format)
        .y_label_formatter(&|y| percent_or_number(percent, *y))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(err)?;
    for (i, (name, points)) in c.series.iter().enumerate() {
        let col = color(i);
        let data: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(data.clone(), col.stroke_width(2)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(2)));
        if matches!(c.x, XAxis::Labels(_)) {
            chart
                .draw_series(data.iter().map(|&p| Circle::new(p, 4, col.filled())))
                .map_err(err)?;
        }
    }
    if let Some((t, label)) = &c.target {
        let red = RGBColor(200, 0, 0);
        chart
            .draw_series(DashedLineSeries::new(vec![(x0, *t), (x1, *t)], 8, 6, red.stroke_width(2)))
            .map_err(err)?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(err)
}

fn draw_flows<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &FlowMatrix) -> DrawResult {
    let n = c.names.len().max(1);
    let root = root.titled(&c.title, (FONT, 22)).map_err(err)?;
    let (matrix, side) = root.split_horizontally((root.dim_in_pixel().0 as f64 * 0.78) as u32);
    let mut chart = ChartBuilder::on(&matrix)
        .margin(10)
        .x_label_area_size(60)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..n as f64, 0f64..n as f64)
        .map_err(err)?;
    // Column labels share the width of one cell: long names are shortened.
    let names: Vec<String> = c.names.iter().map(|s| shorten(s, (80 / n).clamp(4, 14))).collect();
    let label = move |v: &f64| names.get(v.floor() as usize).cloned().unwrap_or_default();
    let names_y = c.names.clone();
    let label_y = move |v: &f64| names_y.get(n - 1 - (v.floor() as usize).min(n - 1)).cloned().unwrap_or_default();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("answered by nurses of")
        .y_desc("calls of")
        .x_labels(n * 2 + 1)
        .y_labels(n * 2 + 1)
        .x_label_formatter(&|v| if v.fract() == 0.5 { label(v) } else { String::new() })
        .y_label_formatter(&|v| if v.fract() == 0.5 { label_y(v) } else { String::new() })
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(err)?;
    for (r, row) in c.values.iter().enumerate() {
        let total: f64 = row.iter().sum();
        for (j, &v) in row.iter().enumerate() {
            let share = if total > 0.0 { v / total } else { 0.0 };
            // White for none, deep blue for all of a region's answered calls.
            let shade = |full: f64| (255.0 - share * (255.0 - full)) as u8;
            let fill = RGBColor(shade(31.0), shade(90.0), shade(160.0));
            let y = (n - 1 - r) as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(j as f64, y), (j as f64 + 1.0, y + 1.0)],
                    fill.filled(),
                )))
                .map_err(err)?;
            let text_color = if share > 0.5 { WHITE } else { BLACK };
            let style = TextStyle::from((FONT, 13).into_font())
                .color(&text_color)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(format!("{v:.0}"), (j as f64 + 0.5, y + 0.5), style)))
                .map_err(err)?;
        }
    }
    let side_height = side.dim_in_pixel().1 as i32;
    side.draw(&Text::new("Net calls answered", (10, 20), (FONT, 15).into_font()))
        .map_err(err)?;
    side.draw(&Text::new("for others", (10, 40), (FONT, 15).into_font())).map_err(err)?;
    let usable = side_height - 130;
    for (r, net) in c.net.iter().enumerate() {
        let y = 70 + (usable as f64 * (r as f64 + 0.5) / n as f64) as i32;
        let col = if *net >= 0.0 { RGBColor(0, 120, 0) } else { RGBColor(190, 0, 0) };
        let text = format!("{}: {:+.0}", c.names[r], net);
        side.draw(&Text::new(text, (10, y), TextStyle::from((FONT, 13).into_font()).color(&col)))
            .map_err(err)?;
    }
    Ok(())
}

fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        name.chars().take(max - 1).collect::<String>() + "."
    }
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &BarChart) -> DrawResult {
    let groups = c.groups.len().max(1);
    let k = c.series.len().max(1);
    let y_max = c
        .series
        .iter()
        .flat_map(|s| s.1.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0f64, f64::max);
    let y_max = if c.y_percent { 1.0 } else { (y_max * 1.15).max(1e-9) };
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..groups as f64, 0f64..y_max)
        .map_err(err)?;
    let labels = c.groups.clone();
    let percent = c.y_percent;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(groups * 2 + 1)
        .x_label_formatter(&|v| {
            if v.fract() == 0.5 {
                labels.get(v.floor() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(&c.y_desc)
        .y_label_formatter(&|y| percent_or_number(percent, *y))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(err)?;
    let width = 0.8 / k as f64;
    for (i, (name, values)) in c.series.iter().enumerate() {
        let col = color(i);
        let bars = values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(g, &v)| {
            let x = g as f64 + 0.1 + i as f64 * width;
            Rectangle::new([(x, 0.0), (x + width * 0.92, v)], col.filled())
        });
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], col.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)
}

impl Chart {
    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, String> {
        register_fonts();
        let mut out = String::new();
        draw(SVGBackend::with_string(&mut out, SIZE).into_drawing_area(), self)?;
        Ok(out)
    }

    /// The chart as PNG bytes.
    pub fn png(&self) -> Result<Vec<u8>, String> {
        register_fonts();
        let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        draw(BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area(), self)?;
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, SIZE.0, SIZE.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Fast compression with adaptive filters: the bytes `image` 0.24 wrote.
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::FilterType::Sub);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        encoder.write_header().map_err(err)?.write_image_data(&rgb).map_err(err)?;
        Ok(png)
    }
}

/// Each chart as `<file>.svg` and `<file>.png`: the files to write.
pub fn files(charts: &[NamedChart]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = vec![];
    for c in charts {
        out.push((format!("{}.svg", c.file), c.chart.svg()?.into_bytes()));
        out.push((format!("{}.png", c.file), c.chart.png()?));
    }
    Ok(out)
}

/// Writes each chart as `<file>.png` and `<file>.svg` into `dir` (atomically).
pub fn write_all(dir: &Path, charts: &[NamedChart]) -> std::io::Result<()> {
    for (name, bytes) in files(charts).map_err(std::io::Error::other)? {
        super::io::write_atomic(&dir.join(name), &bytes)?;
    }
    Ok(())
}

/// Charts with a line or a row per region show at most this many regions
/// (the first ones), so that a scenario with hundreds of regions still gives
/// readable charts and a `report.html` of a few megabytes.
pub const MAX_CHART_REGIONS: usize = 20;

/// `" (first 20 of 300 regions)"` when regions are left out of a chart.
pub fn regions_note(n: usize) -> String {
    if n > MAX_CHART_REGIONS {
        format!(" (first {MAX_CHART_REGIONS} of {n} regions)")
    } else {
        String::new()
    }
}

/// The first `answered_within … at_least` target: the line drawn on service-level charts.
fn service_target(s: &Summary) -> Option<(f64, String)> {
    s.targets.iter().find_map(|t| match t.bound {
        Bound::AtLeast(b) if t.metric.starts_with("answered_within") => Some((
            b,
            format!("target {:.0} % {}", b * 100.0, t.metric.replace("answered_within_", "within ")),
        )),
        _ => None,
    })
}

/// The charts of one run: service level by hour, waiting-time curve, flows, staffing.
pub fn run_charts(s: &Summary) -> Vec<NamedChart> {
    let n = s.region_names.len();
    let shown = n.min(MAX_CHART_REGIONS);
    let note = regions_note(n);
    let label = &s.chart_within.0;
    let by_hour = (0..shown)
        .map(|r| {
            let points = (0..168)
                .map(|h| {
                    let c = &s.by_hour[r * 168 + h];
                    let share = if c.offered > 0 {
                        c.answered_within_target as f64 / c.offered as f64
                    } else {
                        f64::NAN
                    };
                    (h as f64 + 0.5, share)
                })
                .collect();
            (s.region_names[r].clone(), points)
        })
        .collect();
    let curves = (0..shown)
        .map(|r| {
            (
                s.region_names[r].clone(),
                s.wait_curve[r].iter().enumerate().map(|(t, &v)| (t as f64, v)).collect(),
            )
        })
        .collect();
    let horizon_net: Vec<f64> = s
        .settlement
        .iter()
        .filter(|row| row.period.is_horizon())
        .take(shown)
        .map(|row| row.net.mean.unwrap_or(0.0))
        .collect();
    let staffing_total = |pick: fn(&(f64, f64)) -> f64| -> Vec<(f64, f64)> {
        (0..168)
            .map(|h| {
                (
                    h as f64 + 0.5,
                    (0..n).map(|r| pick(&s.staffing[r * 168 + h])).filter(|v| v.is_finite()).sum(),
                )
            })
            .collect()
    };
    vec![
        NamedChart {
            file: "service_level_by_hour".into(),
            chart: Chart::Lines(LineChart {
                title: format!("Share of calls answered within {label}, by hour of the week{note}"),
                x: XAxis::HourOfWeek,
                x_desc: "hour of the week (arrival)".into(),
                y_desc: format!("answered within {label} (% of offered)"),
                y_percent: true,
                series: by_hour,
                target: service_target(s),
            }),
        },
        NamedChart {
            file: "waiting_time".into(),
            chart: Chart::Lines(LineChart {
                title: format!("Share of calls answered within t minutes{note}"),
                x: XAxis::Numbers { unit: "min".into() },
                x_desc: "waiting time t (minutes)".into(),
                y_desc: "answered within t (% of offered)".into(),
                y_percent: true,
                series: curves,
                target: service_target(s),
            }),
        },
        NamedChart {
            file: "flows".into(),
            chart: Chart::Flows(FlowMatrix {
                title: format!("Who answered whose calls (calls per replication){note}"),
                names: s.region_names[..shown].to_vec(),
                values: (0..shown)
                    .map(|r| (0..shown).map(|j| s.flows[r * n + j].mean.unwrap_or(0.0)).collect())
                    .collect(),
                net: horizon_net,
            }),
        },
        NamedChart {
            file: "staffing".into(),
            chart: Chart::Lines(LineChart {
                title: "Nurses on the phones and calls waiting through an average week (all regions)".into(),
                x: XAxis::HourOfWeek,
                x_desc: "hour of the week".into(),
                y_desc: "nurses / calls".into(),
                y_percent: false,
                series: vec![
                    ("nurses on the phones".into(), staffing_total(|x| x.0)),
                    ("calls waiting".into(), staffing_total(|x| x.1)),
                ],
                target: None,
            }),
        },
    ]
}

/// Side-by-side bars of key metrics, one chart per metric, for `compare`.
pub fn comparison_charts(c: &Comparison) -> Vec<NamedChart> {
    let first = &c.summaries[0];
    let n = first.region_names.len();
    let mut groups: Vec<String> = first.region_names.iter().take(MAX_CHART_REGIONS).cloned().collect();
    groups.push("total".into());
    let note = regions_note(n);
    let value = |s: &Summary, group: &str, metric: &str| -> f64 { s.value(group, metric).and_then(|e| e.mean).unwrap_or(f64::NAN) };
    c.metrics
        .iter()
        .filter(|m| m.shown_in(crate::stats::View::CompareChart))
        .map(|m| {
            let (title, percent) = (&m.title, m.def.unit.is_share());
            NamedChart {
                file: format!("compare_{}", m.key),
                chart: Chart::Bars(BarChart {
                    title: format!("{title}{note}"),
                    y_desc: if percent { "% of offered".into() } else { "minutes".into() },
                    y_percent: percent,
                    groups: groups.clone(),
                    series: c
                        .summaries
                        .iter()
                        .map(|s| (s.scenario.clone(), groups.iter().map(|g| value(s, g, &m.key)).collect()))
                        .collect(),
                }),
            }
        })
        .collect()
}
