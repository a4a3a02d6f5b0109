//! Opens `report.html` in a real headless Chromium and checks that it renders
//! with its charts and without console errors. Needs Chromium, so it is
//! ignored by default; `.ci/run` installs Chromium and runs it with
//! `cargo test --release --test browser -- --ignored`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

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

/// The pixels of a PNG file as RGB triples (decoded with the `png` crate).
fn rgb_pixels(path: &std::path::Path) -> Vec<[u8; 3]> {
    let mut decoder = png::Decoder::new(std::fs::File::open(path).expect("open PNG"));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    bytes
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect()
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
