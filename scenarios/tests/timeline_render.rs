//! The timeline renders in a real browser: headless Chromium takes a
//! screenshot of a run's timeline, and the picture must not be blank.
//! Skipped, with a message saying so, when no Chromium is installed
//! (`.ci/run` installs Debian's `chromium`).

use std::path::Path;
use std::process::Command;

fn browser() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn the_timeline_renders_in_headless_chromium() {
    let Some(browser) = browser() else {
        eprintln!("SKIPPED the_timeline_renders_in_headless_chromium: no Chromium installed (apt-get install chromium)");
        return;
    };
    let scenario = scenarios::select("sim/node/crash_restart_persister").remove(0);
    let result = sim::run(&scenario, 1, &sim::RunOptions::default());
    assert!(result.passed());
    let dir = std::env::temp_dir().join(format!("dst-timeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("timeline.html");
    let png = dir.join("shot.png");
    std::fs::write(&html, scenarios::timeline::render(&result)).unwrap();
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1450,500",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (colours, ink) = picture_stats(&png);
    let _ = std::fs::remove_dir_all(&dir);
    // A blank page is one colour; the diagram has lanes, arrows, bands, text.
    assert!(
        colours >= 20,
        "only {colours} distinct colours: the page looks blank"
    );
    assert!(
        ink > 0.02,
        "only {:.1}% of the pixels are not background",
        ink * 100.0
    );
}

/// Distinct colours, and the share of pixels that are not the background.
fn picture_stats(path: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[0];
    let colours: std::collections::BTreeSet<&[u8]> = pixels.iter().copied().collect();
    let ink = pixels.iter().filter(|p| **p != background).count() as f64 / pixels.len() as f64;
    (colours.len(), ink)
}
