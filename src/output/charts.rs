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

/// The font at `px` pixels, rounded up to an even size.
///
/// plotters' TrueType renderer (`ab_glyph` backend, used for PNG) places each
/// glyph at `(size / 2 + top of the glyph) as i32`: the cast truncates toward
/// zero, so at an odd size glyphs whose top is above the middle of the line
/// (letters) land half a pixel lower and glyphs below it (full stop, comma)
/// half a pixel higher — a full stop one pixel above the baseline, which
/// reads as a raised dot. At even sizes the sum is a whole number and every
/// glyph sits on the same baseline. (SVG text is laid out by the viewer.)
fn font(px: u32) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT), (px + px % 2) as f64, FontStyle::Normal)
}

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

/// One small panel per series (a region), each with the others faintly
/// behind it: readable with many regions where overlapping lines are not.
#[derive(Clone, Debug)]
pub struct SmallMultiples {
    /// The lines: title, axes, one series per panel and the target.
    pub lines: LineChart,
    /// Where the target applies on the x axis (`Some(5.0)`: at t = 5 min only),
    /// or `None` for a level across the whole axis.
    pub target_at: Option<f64>,
}

/// Any chart.
#[derive(Clone, Debug)]
pub enum Chart {
    /// Lines.
    Lines(LineChart),
    /// Lines whose target applies at one x only (the share answered within
    /// 5 minutes: a marker at t = 5 min, not a level across the curve).
    LinesTargetAt(LineChart, f64),
    /// Small multiples.
    Multiples(SmallMultiples),
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

/// How series `i` is drawn, so that lines stay apart in greyscale too: a
/// colour, a dash pattern (`None`: solid) and a marker shape.
#[derive(Clone, Copy)]
struct SeriesStyle {
    color: RGBColor,
    dash: Option<(u32, u32)>,
    marker: usize,
}

fn series_style(i: usize) -> SeriesStyle {
    const DASHES: [Option<(u32, u32)>; 4] = [None, Some((10, 5)), Some((3, 4)), Some((18, 6))];
    SeriesStyle {
        color: color(i),
        dash: DASHES[i % DASHES.len()],
        marker: (i / DASHES.len() + i) % 5,
    }
}

/// A marker of shape `kind` (circle, triangle, square, diamond, cross) at `(x, y)` in pixels.
fn marker_element<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, (x, y): (i32, i32), kind: usize, col: RGBColor, r: i32) -> DrawResult {
    let style = col.stroke_width(2);
    match kind {
        0 => area.draw(&Circle::new((x, y), r, style)),
        1 => area.draw(&Polygon::new(vec![(x, y - r), (x + r, y + r), (x - r, y + r)], col.filled())),
        2 => area.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], col.filled())),
        3 => area.draw(&Polygon::new(
            vec![(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)],
            col.filled(),
        )),
        _ => area
            .draw(&PathElement::new(vec![(x - r, y - r), (x + r, y + r)], style))
            .and_then(|_| area.draw(&PathElement::new(vec![(x - r, y + r), (x + r, y - r)], style))),
    }
    .map_err(err)
}

/// An axis description in words: a metric key (`answered_within_5m`, as the
/// sweep's charts pass it) becomes the catalogue's title with its unit.
pub fn axis_label(desc: &str) -> String {
    let within: Vec<String> = desc
        .strip_prefix("answered_within_")
        .map(|t| t.trim_end_matches("_of_answered").to_string())
        .into_iter()
        .collect();
    match crate::stats::metric_set(&within).into_iter().find(|m| m.key == desc) {
        Some(m) => match m.def.unit {
            crate::stats::Unit::Share => format!("{} (%)", m.title),
            crate::stats::Unit::Minutes => m.title.clone(),
            crate::stats::Unit::Hours => format!("{} (hours)", m.title),
            crate::stats::Unit::Calls => format!("{} (calls per replication)", m.title),
        },
        None => desc.to_string(),
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::Lines(c) => draw_lines(&root, c, None)?,
        Chart::LinesTargetAt(c, x) => draw_lines(&root, c, Some(*x))?,
        Chart::Multiples(m) => draw_multiples(&root, m)?,
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

/// The y range of a line chart: shares zoom to the data in steps of 10 %
/// (differences of a few points must be visible); other values start at zero.
fn line_ranges(c: &LineChart) -> ((f64, f64), (f64, f64)) {
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
    ((x0, x1), (y0, y1))
}

const TARGET_RED: RGBColor = RGBColor(200, 0, 0);

/// What a legend entry shows.
enum Key {
    Series(SeriesStyle),
    /// A target level (a dashed red line).
    Level,
    /// A target at one point (a red diamond).
    Point,
}

/// A legend in its own area beside the plot (never over the data).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(String, Key)], top: i32) -> DrawResult {
    let width = area.dim_in_pixel().0 as i32;
    let max_chars = ((width - 50) / 8).max(8) as usize;
    // Long names wrap onto more lines when there is room for them.
    let room = (area.dim_in_pixel().1 as i32 - top) / 22;
    let wrap = entries.len() as i32 * 2 <= room;
    let mut y = top;
    for (name, key) in entries {
        let lines = if wrap {
            wrap_words(name, max_chars)
        } else {
            vec![shorten(name, max_chars)]
        };
        match key {
            Key::Series(st) => {
                dashed_segment(area, (6, y), (40, y), st.color, st.dash)?;
                marker_element(area, (23, y), st.marker, st.color, 4)?;
            }
            Key::Level => dashed_segment(area, (6, y), (40, y), TARGET_RED, Some((8, 6)))?,
            Key::Point => marker_element(area, (23, y), 3, TARGET_RED, 6)?,
        }
        let style = TextStyle::from(font(14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        for (l, line) in lines.iter().enumerate() {
            area.draw(&Text::new(line.clone(), (48, y + l as i32 * 17), style.clone()))
                .map_err(err)?;
        }
        y += 22 + (lines.len() as i32 - 1) * 17;
    }
    Ok(())
}

/// A horizontal line sample in pixels, solid or dashed.
fn dashed_segment<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    col: RGBColor,
    dash: Option<(u32, u32)>,
) -> DrawResult {
    let style = col.stroke_width(2);
    match dash {
        None => area.draw(&PathElement::new(vec![from, to], style)).map_err(err),
        Some((on, off)) => {
            let mut x = from.0;
            while x < to.0 {
                let end = (x + on as i32).min(to.0);
                area.draw(&PathElement::new(vec![(x, from.1), (end, from.1)], style)).map_err(err)?;
                x = end + off as i32;
            }
            Ok(())
        }
    }
}

/// Draws the lines (or, with `only`, one highlighted series over the others
/// in light grey) on `area`, with the target: a level across the axis, or at
/// `target_at` a vertical line up to a marker at the target share.
#[allow(clippy::too_many_arguments)]
fn plot_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &LineChart,
    caption: Option<&str>,
    target_at: Option<f64>,
    only: Option<usize>,
    small: bool,
) -> DrawResult {
    let ((x0, x1), (y0, y1)) = line_ranges(c);
    let mut builder = ChartBuilder::on(area);
    if let Some(cap) = caption {
        builder.caption(cap, font(if small { 15 } else { 22 }));
    }
    let mut chart = builder
        .margin(if small { 6 } else { 15 })
        .margin_right(if small { 12 } else { 20 })
        .x_label_area_size(if small { 22 } else { 45 })
        .y_label_area_size(if small { 44 } else { 70 })
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
        XAxis::Numbers { .. } => {
            if small {
                4
            } else {
                10
            }
        }
    };
    let percent = c.y_percent;
    // Whole numbers on an axis that spans ten or more.
    let whole = !percent && y1 - y0 >= 10.0;
    let y_format = move |y: &f64| if whole { format!("{y:.0}") } else { percent_or_number(percent, *y) };
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x_labels)
        .y_labels(if small { 4 } else { 10 })
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style(font(if small { 11 } else { 14 }))
        .axis_desc_style(font(15))
        .light_line_style(if small { WHITE } else { RGBColor(238, 238, 238) })
        .bold_line_style(RGBColor(215, 215, 215));
    let y_desc = axis_label(&c.y_desc);
    if !small {
        mesh.x_desc(&c.x_desc).y_desc(&y_desc);
    }
    mesh.draw().map_err(err)?;
    let finite = |points: &[(f64, f64)]| -> Vec<(f64, f64)> { points.iter().copied().filter(|p| p.1.is_finite()).collect() };
    if let Some(k) = only {
        for (i, (_, points)) in c.series.iter().enumerate() {
            if i != k {
                chart
                    .draw_series(LineSeries::new(finite(points), RGBColor(222, 222, 222).stroke_width(1)))
                    .map_err(err)?;
            }
        }
    }
    for (i, (_, points)) in c.series.iter().enumerate() {
        if only.is_some_and(|k| k != i) {
            continue;
        }
        let mut st = series_style(i);
        if only.is_some() {
            // One series per panel: the panel's title names it, so a plain line is clearest.
            st.dash = None;
        }
        let data = finite(points);
        let style = st.color.stroke_width(2);
        match st.dash {
            None => {
                chart.draw_series(LineSeries::new(data.clone(), style)).map_err(err)?;
            }
            Some((on, off)) => {
                chart
                    .draw_series(DashedLineSeries::new(data.clone(), on, off, style))
                    .map_err(err)?;
            }
        }
        if only.is_some() {
            continue;
        }
        // Markers: every point on a short categorical axis, else a few along the line.
        let step = if matches!(c.x, XAxis::Labels(_)) {
            1
        } else {
            (data.len() / 7).max(1)
        };
        let offset = if step > 1 { (i * step / 5) % step } else { 0 };
        let picked = data.iter().copied().skip(offset).step_by(step);
        let r = if small { 3 } else { 4 };
        let col = st.color;
        match st.marker {
            0 => chart.draw_series(picked.map(|p| EmptyElement::at(p) + Circle::new((0, 0), r, col.stroke_width(2)))),
            1 => chart.draw_series(picked.map(|p| EmptyElement::at(p) + TriangleMarker::new((0, 0), r + 1, col.filled()))),
            2 => chart.draw_series(picked.map(|p| EmptyElement::at(p) + Rectangle::new([(-r, -r), (r, r)], col.filled()))),
            3 => chart.draw_series(
                picked.map(|p| EmptyElement::at(p) + Polygon::new(vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)], col.filled())),
            ),
            _ => chart.draw_series(picked.map(|p| EmptyElement::at(p) + Cross::new((0, 0), r, col.stroke_width(2)))),
        }
        .map_err(err)?;
    }
    if let Some((t, label)) = &c.target {
        match target_at {
            None => {
                chart
                    .draw_series(DashedLineSeries::new(vec![(x0, *t), (x1, *t)], 8, 6, TARGET_RED.stroke_width(2)))
                    .map_err(err)?;
            }
            Some(tx) => {
                chart
                    .draw_series(DashedLineSeries::new(vec![(tx, y0), (tx, *t)], 6, 4, TARGET_RED.stroke_width(2)))
                    .map_err(err)?;
                let r = if small { 5 } else { 7 };
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((tx, *t)) + Polygon::new(vec![(0, -r), (r, 0), (0, r), (-r, 0)], TARGET_RED.filled()),
                    ))
                    .map_err(err)?;
                if !small {
                    let style = TextStyle::from(font(14).into_font())
                        .color(&TARGET_RED)
                        .pos(Pos::new(HPos::Left, VPos::Top));
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((tx, *t)) + Text::new(label.clone(), (10, 6), style),
                        ))
                        .map_err(err)?;
                }
            }
        }
    }
    Ok(())
}

/// Width of the legend column beside a chart, in pixels.
const LEGEND_WIDTH: u32 = 230;

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LineChart, target_at: Option<f64>) -> DrawResult {
    let mut entries: Vec<(String, Key)> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.clone(), Key::Series(series_style(i))))
        .collect();
    if let Some((_, label)) = &c.target {
        entries.push((label.clone(), if target_at.is_some() { Key::Point } else { Key::Level }));
    }
    let root = root.titled(&c.title, font(22)).map_err(err)?;
    if entries.len() <= 1 {
        return plot_lines(&root, c, None, target_at, None, false);
    }
    let width = root.dim_in_pixel().0;
    let (plot, legend) = root.split_horizontally(width - LEGEND_WIDTH);
    plot_lines(&plot, c, None, target_at, None, false)?;
    draw_legend(&legend, &entries, 30)
}

/// Columns of a small-multiples grid.
const PANEL_COLUMNS: usize = 4;
/// Height of one small panel, in pixels.
const PANEL_HEIGHT: u32 = 190;

/// The size of a small-multiples chart with `n` panels.
fn multiples_size(n: usize) -> (u32, u32) {
    let rows = n.div_ceil(PANEL_COLUMNS).max(1) as u32;
    (SIZE.0, 70 + rows * PANEL_HEIGHT)
}

fn draw_multiples<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, m: &SmallMultiples) -> DrawResult {
    let c = &m.lines;
    let root = root.titled(&c.title, font(22)).map_err(err)?;
    let (header, grid) = root.split_vertically(28);
    let mut note = format!("{} · x: {}", c.y_desc, c.x_desc);
    if let Some((_, label)) = &c.target {
        note += &format!(" · red: {label}");
    }
    note += " · grey: the other regions";
    header
        .draw(&Text::new(
            note,
            (10, 14),
            TextStyle::from(font(14).into_font())
                .color(&RGBColor(70, 70, 70))
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    let n = c.series.len();
    let rows = n.div_ceil(PANEL_COLUMNS).max(1);
    let panels = grid.split_evenly((rows, PANEL_COLUMNS));
    for (k, panel) in panels.iter().enumerate().take(n) {
        plot_lines(panel, c, Some(&c.series[k].0), m.target_at, Some(k), true)?;
    }
    Ok(())
}

fn draw_flows<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &FlowMatrix) -> DrawResult {
    let n = c.names.len().max(1);
    let root = root.titled(&c.title, font(22)).map_err(err)?;
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
        .label_style(font(13))
        .axis_desc_style(font(15))
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
            let style = TextStyle::from(font(13).into_font())
                .color(&text_color)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(format!("{v:.0}"), (j as f64 + 0.5, y + 0.5), style)))
                .map_err(err)?;
        }
    }
    let side_height = side.dim_in_pixel().1 as i32;
    side.draw(&Text::new("Net calls answered", (10, 20), font(15).into_font()))
        .map_err(err)?;
    side.draw(&Text::new("for others", (10, 40), font(15).into_font())).map_err(err)?;
    let usable = side_height - 130;
    for (r, net) in c.net.iter().enumerate() {
        let y = 70 + (usable as f64 * (r as f64 + 0.5) / n as f64) as i32;
        let col = if *net >= 0.0 { RGBColor(0, 120, 0) } else { RGBColor(190, 0, 0) };
        let text = format!("{}: {:+.0}", c.names[r], net);
        side.draw(&Text::new(text, (10, y), TextStyle::from(font(13).into_font()).color(&col)))
            .map_err(err)?;
    }
    Ok(())
}

/// Text broken into lines of at most `max` characters at spaces (at most
/// three lines; a word longer than a line is shortened).
fn wrap_words(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= max => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(shorten(word, max)),
        }
    }
    if lines.len() > 3 {
        lines.truncate(3);
        let last = shorten(&(lines[2].clone() + " …"), max);
        lines[2] = if last.ends_with('…') { last } else { last + "…" };
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        name.chars().take(max - 1).collect::<String>() + "."
    }
}

fn draw_bars<DB: DrawingBackend>(full: &DrawingArea<DB, Shift>, c: &BarChart) -> DrawResult {
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
    let root = full.titled(&c.title, font(22)).map_err(err)?;
    let width = root.dim_in_pixel().0;
    let (plot, legend) = root.split_horizontally(width - LEGEND_WIDTH);
    let mut chart = ChartBuilder::on(&plot)
        .margin(15)
        .x_label_area_size(if groups > 8 { 70 } else { 45 })
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..groups as f64, 0f64..y_max)
        .map_err(err)?;
    // Group labels share the width of one group: long names are shortened.
    let chars = ((plot.dim_in_pixel().0 as usize).saturating_sub(100) / groups / 7).clamp(4, 24);
    let labels: Vec<String> = c.groups.iter().map(|g| shorten(g, chars)).collect();
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
        .label_style(font(if groups > 8 { 12 } else { 14 }))
        .axis_desc_style(font(15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    let width = 0.8 / k as f64;
    let show_values = groups * k <= 30;
    for (i, (_, values)) in c.series.iter().enumerate() {
        let col = color(i);
        let bars: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(g, &v)| (g as f64 + 0.1 + i as f64 * width, v))
            .collect();
        chart
            .draw_series(
                bars.iter()
                    .map(|&(x, v)| Rectangle::new([(x, 0.0), (x + width * 0.92, v)], col.filled())),
            )
            .map_err(err)?;
        // Greyscale: every other series is hatched, so bars differ without colour.
        for &(x, v) in &bars {
            let (left, top) = chart.backend_coord(&(x, v));
            let (right, bottom) = chart.backend_coord(&(x + width * 0.92, 0.0));
            hatch(full, (left, top), (right, bottom), i)?;
            chart
                .plotting_area()
                .draw(&Rectangle::new([(x, 0.0), (x + width * 0.92, v)], BLACK.stroke_width(1)))
                .map_err(err)?;
            if show_values {
                let text = if percent {
                    format!("{:.0}", v * 100.0)
                } else {
                    percent_or_number(false, v)
                };
                let style = TextStyle::from(font(11).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x + width * 0.46, v)) + Text::new(text, (0, -2), style),
                    ))
                    .map_err(err)?;
            }
        }
    }
    // The legend beside the plot, with the same fills.
    let mut y = 40;
    for (i, (name, _)) in c.series.iter().enumerate() {
        let (a, b) = ((8, y - 8), (30, y + 8));
        legend.draw(&Rectangle::new([a, b], color(i).filled())).map_err(err)?;
        let (dx, dy) = legend.get_base_pixel();
        hatch(full, (a.0 + dx, a.1 + dy), (b.0 + dx, b.1 + dy), i)?;
        legend.draw(&Rectangle::new([a, b], BLACK.stroke_width(1))).map_err(err)?;
        let style = TextStyle::from(font(14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let chars = ((LEGEND_WIDTH as usize).saturating_sub(50) / 8).max(8);
        let lines = if c.series.len() <= 6 {
            wrap_words(name, chars)
        } else {
            vec![shorten(name, chars)]
        };
        for (l, line) in lines.iter().enumerate() {
            legend
                .draw(&Text::new(line.clone(), (38, y + l as i32 * 17), style.clone()))
                .map_err(err)?;
        }
        y += 26 + (lines.len() as i32 - 1) * 17;
    }
    Ok(())
}

/// White hatching inside a bar (pixel box) for series 1, 2, …: diagonal,
/// horizontal, crossed; series 0 stays solid.
fn hatch<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, (x0, y0): (i32, i32), (x1, y1): (i32, i32), series: usize) -> DrawResult {
    let style = WHITE.stroke_width(2);
    let kind = series % 4;
    if kind == 0 || x1 <= x0 || y1 <= y0 {
        return Ok(());
    }
    if kind == 2 || kind == 3 {
        let mut y = y1 - 5;
        while y > y0 {
            area.draw(&PathElement::new(vec![(x0 + 1, y), (x1 - 1, y)], style)).map_err(err)?;
            y -= 7;
        }
    }
    if kind == 1 || kind == 3 {
        // Lines of slope 1, clipped to the box.
        let mut start = x0 - (y1 - y0);
        while start < x1 {
            let (mut ax, mut ay, mut bx, mut by) = (start, y1, start + (y1 - y0), y0);
            if ax < x0 {
                ay -= x0 - ax;
                ax = x0;
            }
            if bx > x1 {
                by += bx - x1;
                bx = x1;
            }
            if ax < bx {
                area.draw(&PathElement::new(vec![(ax, ay), (bx, by)], style)).map_err(err)?;
            }
            start += 9;
        }
    }
    Ok(())
}

impl Chart {
    /// The size in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Multiples(m) => multiples_size(m.lines.series.len()),
            _ => SIZE,
        }
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, String> {
        register_fonts();
        let mut out = String::new();
        draw(SVGBackend::with_string(&mut out, self.size()).into_drawing_area(), self)?;
        Ok(out)
    }

    /// The chart as PNG bytes.
    pub fn png(&self) -> Result<Vec<u8>, String> {
        register_fonts();
        let size = self.size();
        let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
        draw(BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area(), self)?;
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, size.0, size.1);
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

/// The first `answered_within … at_least` target: its share, its label and
/// its waiting time in minutes (where it is drawn on the waiting-time curve).
fn service_target(s: &Summary) -> Option<(f64, String, Option<f64>)> {
    s.targets.iter().find_map(|t| match t.bound {
        Bound::AtLeast(b) if t.metric.starts_with("answered_within") && !t.metric.ends_with("_of_answered") => {
            let within = t.metric.trim_start_matches("answered_within_");
            let minutes = crate::calendar::parse_duration(within)
                .ok()
                .map(|ms| ms as f64 / crate::calendar::MINUTE as f64);
            Some((b, format!("target: {:.0} % answered within {within}", b * 100.0), minutes))
        }
        _ => None,
    })
}

/// More regions than this get small multiples instead of overlapping lines.
pub const MAX_OVERLAID: usize = 4;

/// Lines, or small multiples when there are many series.
fn lines_or_multiples(lines: LineChart, target_at: Option<f64>) -> Chart {
    if lines.series.len() > MAX_OVERLAID {
        Chart::Multiples(SmallMultiples { lines, target_at })
    } else {
        match target_at {
            Some(x) => Chart::LinesTargetAt(lines, x),
            None => Chart::Lines(lines),
        }
    }
}

/// The charts of one run: service level by hour, waiting-time curve, flows, staffing.
pub fn run_charts(s: &Summary) -> Vec<NamedChart> {
    let n = s.region_names.len();
    let shown = n.min(MAX_CHART_REGIONS);
    let note = regions_note(n);
    let label = &s.chart_within.0;
    let target = service_target(s);
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
            chart: lines_or_multiples(
                LineChart {
                    title: format!("Share of calls answered within {label}, by hour of the week{note}"),
                    x: XAxis::HourOfWeek,
                    x_desc: "hour of the week (arrival)".into(),
                    y_desc: format!("answered within {label} (% of offered)"),
                    y_percent: true,
                    series: by_hour,
                    target: target.clone().map(|(b, l, _)| (b, l)),
                },
                None,
            ),
        },
        NamedChart {
            file: "waiting_time".into(),
            chart: {
                // The target applies at its waiting time only; without one, nothing is marked.
                let at = target.as_ref().and_then(|t| t.2);
                lines_or_multiples(
                    LineChart {
                        title: format!("Share of calls answered within t minutes{note}"),
                        x: XAxis::Numbers { unit: "min".into() },
                        x_desc: "waiting time t (minutes)".into(),
                        y_desc: "answered within t (% of offered)".into(),
                        y_percent: true,
                        series: curves,
                        target: at.and(target.clone().map(|(b, l, _)| (b, l))),
                    },
                    at,
                )
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lowest row with ink when `text` is drawn alone in a PNG-style bitmap.
    fn lowest_inked_row(text: &str, px: u32) -> Option<usize> {
        register_fonts();
        let (w, h) = (60u32, 60u32);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            area.draw(&Text::new(text.to_string(), (10, 10), font(px).into_font())).unwrap();
            area.present().unwrap();
        }
        (0..h as usize)
            .rev()
            .find(|&y| (0..w as usize).any(|x| rgb[(y * w as usize + x) * 3] < 128))
    }

    #[test]
    fn full_stops_sit_on_the_baseline_in_png_text() {
        for px in 10..=24 {
            assert_eq!(
                lowest_inked_row(".", px),
                lowest_inked_row("x", px),
                "at {px} px a full stop is not on the baseline of an x"
            );
        }
    }

    #[test]
    fn metric_keys_become_words_on_axes() {
        assert_eq!(axis_label("answered_within_5m"), "Share of calls answered within 5 minutes (%)");
        assert_eq!(axis_label("mean_wait_answered"), "Mean wait of answered calls (minutes)");
        assert_eq!(axis_label("nurses / calls"), "nurses / calls");
    }

    #[test]
    fn long_legend_names_wrap_at_spaces() {
        assert_eq!(
            wrap_words("Jönköping in the 3-region cluster", 22),
            vec!["Jönköping in the", "3-region cluster"]
        );
        assert_eq!(wrap_words("", 10), vec![""]);
    }
}
