//! Opens `report.html` in a real headless Chromium and checks that it renders
//! with its charts and without console errors. Needs Chromium, so it is
//! ignored by default; `.ci/run` installs Chromium (and poppler-utils for
//! `pdftotext`) and runs it with `cargo test --release --test browser -- --ignored`.
//! Besides rendering, it checks that no table of the `run`, `compare` and
//! `sweep` reports overflows a 1,000 px window and that an A4 print keeps
//! every column.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

#[path = "support/pixels.rs"]
mod pixels;
use pixels::rgb_pixels;

fn chromium() -> PathBuf {
    if let Ok(p) = std::env::var("NURSEQUEUE_CHROMIUM") {
        return PathBuf::from(p);
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join(name))
                .find(|p| p.exists())
        })
        .expect("Chromium not found: install Debian's `chromium` package or set NURSEQUEUE_CHROMIUM")
}

/// Screenshots a page; returns the PNG path and Chromium's log.
fn screenshot(page: &Path, dir: &Path) -> (PathBuf, String) {
    let shot = dir.join("shot.png");
    let out = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(["--enable-logging=stderr", "--v=0", "--window-size=1200,3000"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    (shot, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Pixels that are clearly coloured (chart lines and cells), not grey text or white.
fn coloured_pixels(png: &Path) -> usize {
    rgb_pixels(png)
        .iter()
        .filter(|p| p.iter().max().unwrap() - p.iter().min().unwrap() > 60)
        .count()
}

#[test]
#[ignore = "needs Chromium; run by .ci/run"]
fn report_renders_in_a_browser_with_charts_and_no_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    Command::cargo_bin("nursequeue")
        .unwrap()
        .args([
            "run",
            "scenarios/overflow-3-after-4m.toml",
            "--replications",
            "3",
            "--set",
            "horizon=1w",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (shot, log) = screenshot(&out.join("report.html"), dir.path());
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let coloured = coloured_pixels(&shot);
    eprintln!("{coloured} coloured pixels in the screenshot");
    assert!(coloured > 5_000, "the charts are not visible ({coloured} coloured pixels)");

    // The check itself works: a page with an error and no charts fails both tests.
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><p>no charts</p><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let bad_dir = dir.path().join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let (shot, log) = screenshot(&bad, &bad_dir);
    assert!(log.contains(":CONSOLE"), "a console error must be seen");
    assert!(coloured_pixels(&shot) < 5_000);
}

/// Chromium's common flags: headless, no network, a profile in `dir`.
fn chromium_command(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()));
    c
}

/// Measures, in a 1,000 px wide window, every table and header cell of a
/// copy of `page` (a small script is added to the copy only: the report
/// itself has no script). Returns the offenders, `table 3 (…): 1042 > 968 px`.
fn overflowing_tables(page: &Path, dir: &Path) -> Vec<String> {
    const PROBE: &str = r#"<script>
addEventListener('load', () => {
  const bad = [];
  const page = document.documentElement.clientWidth;
  document.querySelectorAll('table').forEach((t, i) => {
    const name = 'table ' + i + ' (' + (t.querySelector('th:last-child') || t).textContent.trim().slice(0, 40) + ')';
    const box = t.getBoundingClientRect();
    const wrap = t.parentElement;
    if (box.right > page + 0.5) bad.push(name + ': right edge ' + Math.round(box.right) + ' > ' + page + ' px');
    if (wrap.scrollWidth > wrap.clientWidth + 0.5) bad.push(name + ': scrolls, ' + wrap.scrollWidth + ' > ' + wrap.clientWidth + ' px');
    t.querySelectorAll('th, td').forEach(c => {
      if (c.scrollWidth > c.clientWidth + 1) bad.push(name + ': cell "' + c.textContent.trim().slice(0, 40) + '" spills out');
    });
  });
  const out = document.createElement('pre');
  out.id = 'overflow-report';
  out.textContent = 'CHECKED ' + document.querySelectorAll('table').length + ' TABLES\n' + bad.join('\n');
  document.body.appendChild(out);
});
</script>"#;
    let html = std::fs::read_to_string(page).unwrap();
    let probe = dir.join("probe.html");
    std::fs::write(&probe, html.replacen("</body>", &format!("{PROBE}</body>"), 1)).unwrap();
    let out = chromium_command(dir)
        .args([
            "--window-size=1000,3000",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", probe.display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8_lossy(&out.stdout);
    let report = dom
        .split("<pre id=\"overflow-report\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| panic!("the probe did not run; DOM ends with {}", &dom[dom.len().saturating_sub(300)..]));
    let mut lines = report.lines();
    let checked = lines.next().unwrap_or_default();
    assert!(
        checked.starts_with("CHECKED ") && !checked.starts_with("CHECKED 0 "),
        "no tables measured: {checked}"
    );
    lines.map(|l| l.replace("&quot;", "\"").replace("&amp;", "&")).collect()
}

/// Prints `page` to PDF (A4) and returns its text (`pdftotext`, from poppler-utils).
fn pdf_text(page: &Path, dir: &Path) -> String {
    let pdf = dir.join("print.pdf");
    let out = chromium_command(dir)
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) is needed");
    assert!(text.status.success());
    String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn nursequeue(args: &[&str], out: &Path) {
    Command::cargo_bin("nursequeue")
        .unwrap()
        .args(args)
        .args(["--progress", "none", "--out"])
        .arg(out)
        .assert()
        .success();
}

/// Every report fits a 1,000 px window without a table cut off or scrolling,
/// and its A4 print holds the last column of the widest tables.
#[test]
#[ignore = "needs Chromium and pdftotext; run by .ci/run"]
fn reports_fit_at_1000_px_and_print_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    nursequeue(
        &["run", "scenarios/national-10.toml", "--replications", "2", "--set", "horizon=1w"],
        &run,
    );
    let compare = dir.path().join("compare");
    nursequeue(
        &[
            "compare",
            "scenarios/jonkoping-alone.toml",
            "scenarios/jonkoping-cluster.toml",
            "--replications",
            "2",
            "--set",
            "horizon=1w",
        ],
        &compare,
    );
    let sweep = dir.path().join("sweep");
    nursequeue(
        &[
            "sweep",
            "scenarios/overflow-3-after-4m.toml",
            "--vary",
            "agreement.overflow.overflow_after=0m,4m",
            "--replications",
            "2",
            "--set",
            "horizon=1w",
        ],
        &sweep,
    );
    let calibrate = dir.path().join("calibrate");
    let observed = dir.path().join("observed.toml");
    std::fs::write(
        &observed,
        "[[observed]]\nmetric = \"answered_share\"\nvalue = 0.916\ncount = 20000\n\n[[observed]]\nmetric = \"answered_within_5m\"\nvalue = 0.866\n",
    )
    .unwrap();
    nursequeue(
        &[
            "calibrate",
            "scenarios/single-region.toml",
            "--set",
            "horizon=1w",
            "--observed",
            observed.to_str().unwrap(),
            "--free",
            "defaults.patience.mean=3m..60m",
        ],
        &calibrate,
    );
    let staff = dir.path().join("staff");
    nursequeue(
        &[
            "staff",
            "scenarios/norrbotten-2020-11.toml",
            "--replications",
            "4",
            "--set",
            "horizon=1w",
        ],
        &staff,
    );
    // The last column of each report's widest tables must reach the paper.
    let cases: [(&Path, &[&str]); 5] = [
        (
            &run,
            &["nurse hours", "≤10m %", "net amount (SEK)", "B owes A (SEK)", "periods met"],
        ),
        (
            &compare,
            &[
                "Δ 2 − 1",
                "Δ nurse hours",
                "Δ net for others",
                "Δ ≤5m %",
                "Settlement paid between regions (SEK)",
            ],
        ),
        (&sweep, &["targets met", "occupancy %"]),
        (&calibrate, &["interval in the range", "observed ◆ against", "range searched"]),
        (&staff, &["cost a week", "rule's interval", "targets still hold"]),
    ];
    for (k, (folder, last_columns)) in cases.iter().enumerate() {
        let work = dir.path().join(format!("check-{k}"));
        std::fs::create_dir_all(&work).unwrap();
        let page = folder.join("report.html");
        let bad = overflowing_tables(&page, &work);
        assert!(
            bad.is_empty(),
            "{}: tables overflow at 1,000 px:\n{}",
            page.display(),
            bad.join("\n")
        );
        let text = pdf_text(&page, &work);
        for header in *last_columns {
            assert!(
                text.contains(header),
                "{}: the PDF print lacks the column {header:?}:\n{text}",
                page.display()
            );
        }
    }
}

/// The overflow probe itself works: a table far wider than the window is caught.
#[test]
#[ignore = "needs Chromium; run by .ci/run"]
fn the_overflow_probe_catches_a_wide_table() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("wide.html");
    let cells: String = (0..30).map(|i| format!("<td>column number {i}</td>")).collect();
    std::fs::write(
        &page,
        format!("<html><body><div><table><tr><th>a</th></tr><tr>{cells}</tr></table></div></body></html>"),
    )
    .unwrap();
    let bad = overflowing_tables(&page, dir.path());
    assert!(!bad.is_empty(), "a 30-column table must overflow a 1,000 px window");
}

#[test]
fn screenshots_decode_whatever_their_colour_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rgba.png");
    let mut bytes = vec![];
    let mut encoder = png::Encoder::new(&mut bytes, 2, 1);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&[255, 0, 0, 255, 10, 20, 30, 128])
        .unwrap();
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(rgb_pixels(&path), vec![[255, 0, 0], [10, 20, 30]]);
    assert_eq!(coloured_pixels(&path), 1);
}
