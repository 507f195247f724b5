//! The timeline in a real browser: headless Chromium, driven by chromedriver
//! over the W3C WebDriver protocol, gets real wheel, drag and click input,
//! and the effects are measured from the DOM: the visible time window
//! (`#plot`'s `data-t0`/`data-t1`), the failure banner's bounding box, the
//! lanes shown, the trace panel.
//!
//! Without Chromium and chromedriver these tests FAIL, saying how to install
//! them (`apt-get install chromium chromium-driver`; `.ci/run` does). Set
//! `DST_SKIP_CHROMIUM=1` to skip them on purpose; they then say so.
//!
//! The WebDriver client is a few lines of HTTP/1.1 over `std::net` rather
//! than a crate: it only ever talks to a chromedriver on 127.0.0.1, and an
//! HTTP crate would add a TLS/URL dependency tree to every test build.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const SKIP_VAR: &str = "DST_SKIP_CHROMIUM";

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and chromedriver, or `None` when the caller asked to skip.
/// Panics, with how to install them, when they are missing.
fn tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    if std::env::var(SKIP_VAR).is_ok_and(|v| !v.is_empty() && v != "0") {
        // Straight to the process's stderr: the harness captures
        // `eprintln!` of passing tests, and a skip must not be silent.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: {SKIP_VAR} is set, the timeline was not checked in Chromium"
        );
        return None;
    }
    let browser = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = on_path(&["chromedriver"]);
    match (browser, driver) {
        (Some(b), Some(d)) => Some((b, d)),
        (b, d) => panic!(
            "{test} needs headless Chromium and chromedriver on PATH (found browser: {}, chromedriver: {}).\n\
             Install them with: apt-get install chromium chromium-driver\n\
             or skip this test on purpose with {SKIP_VAR}=1",
            b.map_or("no".to_string(), |p| p.display().to_string()),
            d.map_or("no".to_string(), |p| p.display().to_string()),
        ),
    }
}

/// A chromedriver process and one browser session; both end on drop.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
    dir: PathBuf,
}

impl Browser {
    fn start(browser: &Path, driver: &Path, name: &str) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("dst-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut b = Browser {
            driver: child,
            port,
            session: String::new(),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, v)) = b.try_http("GET", "/status", None) {
                if v["value"]["ready"] == json!(true) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", b.dir.join("profile").display()),
                ],
            },
        }}});
        let v = b.http("POST", "/session", Some(&caps));
        b.session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        b
    }

    fn try_http(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        let body = body.map(Value::to_string).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        // chromedriver keeps the connection open despite `Connection:
        // close`, so read the head, then exactly Content-Length bytes (or
        // the chunks).
        let mut raw = Vec::new();
        let mut buf = [0u8; 65536];
        let split = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed in the head"));
            }
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let mut payload = raw[split + 4..].to_vec();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status"))?;
        let length = head.lines().find_map(|l| {
            l.strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        });
        let chunked = head.contains("transfer-encoding:") && head.contains("chunked");
        loop {
            let complete = match length {
                Some(n) => payload.len() >= n,
                None if chunked => payload.windows(5).any(|w| w == b"0\r\n\r\n"),
                None => false,
            };
            if complete {
                break;
            }
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            payload.extend_from_slice(&buf[..n]);
        }
        if chunked {
            payload = dechunk(&payload);
        }
        let v = serde_json::from_slice(&payload).unwrap_or(Value::Null);
        Ok((status, v))
    }

    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, v) = self
            .try_http(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(status, 200, "{method} {path}: {v}");
        v
    }

    fn cmd(&self, method: &str, what: &str, body: Value) -> Value {
        let path = format!("/session/{}/{what}", self.session);
        let body = (method == "POST").then_some(&body);
        self.http(method, &path, body)["value"].clone()
    }

    fn open(&self, file: &Path) {
        self.cmd(
            "POST",
            "url",
            json!({"url": format!("file://{}", file.display())}),
        );
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    fn window(&self) -> (f64, f64) {
        let v = self.js(
            "const p = document.getElementById('plot'); return [+p.dataset.t0, +p.dataset.t1];",
        );
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    }

    fn plot_attr(&self, name: &str) -> String {
        self.js(&format!(
            "return document.getElementById('plot').dataset.{name} || '';"
        ))
        .as_str()
        .unwrap()
        .to_string()
    }

    /// The middle of the plot's drawing area, in viewport pixels (the page
    /// leaves 110 px on the left for lane names and 16 on the right).
    fn plot_middle(&self) -> (i64, i64) {
        let v = self.js(
            "const r = document.getElementById('canvas').getBoundingClientRect(); \
             return [Math.round(r.left + 110 + (r.width - 126) / 2), Math.round(r.top + r.height / 2)];",
        );
        (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
    }

    fn actions(&self, sources: Value) {
        self.cmd("POST", "actions", json!({ "actions": sources }));
        self.cmd("DELETE", "actions", Value::Null);
    }

    /// A real wheel turn at (x, y): negative `dy` scrolls up, zooming in.
    fn wheel(&self, x: i64, y: i64, dy: i64) {
        self.actions(json!([{"type": "wheel", "id": "wheel", "actions": [
            {"type": "scroll", "x": x, "y": y, "deltaX": 0, "deltaY": dy, "origin": "viewport", "duration": 0},
        ]}]));
    }

    fn mouse(&self, steps: Value) {
        self.actions(json!([{"type": "pointer", "id": "mouse",
            "parameters": {"pointerType": "mouse"}, "actions": steps}]));
    }

    fn drag(&self, (x, y): (i64, i64), dx: i64) {
        self.mouse(json!([
            {"type": "pointerMove", "x": x, "y": y, "origin": "viewport", "duration": 0},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerMove", "x": x + dx / 2, "y": y, "origin": "viewport", "duration": 100},
            {"type": "pointerMove", "x": x + dx, "y": y, "origin": "viewport", "duration": 100},
            {"type": "pointerUp", "button": 0},
        ]));
    }

    fn click_at(&self, x: i64, y: i64) {
        self.mouse(json!([
            {"type": "pointerMove", "x": x, "y": y, "origin": "viewport", "duration": 0},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0},
        ]));
    }

    fn click_element(&self, css: &str) {
        let found = self.cmd(
            "POST",
            "element",
            json!({"using": "css selector", "value": css}),
        );
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string();
        self.cmd("POST", &format!("element/{id}/click"), json!({}));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_http("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&body[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 2 + size + 2..];
    }
    out
}

fn page_of(name: &str, seed: u64, dir_name: &str) -> PathBuf {
    let scenario = scenarios::select(name).remove(0);
    let result = sim::run(&scenario, seed, &sim::RunOptions::default());
    let dir = std::env::temp_dir().join(format!("dst-{dir_name}-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("timeline.html");
    std::fs::write(&file, sim::dst::timeline::render(&result)).unwrap();
    file
}

/// The failure banner's text and whether its bounding box lies wholly
/// inside the viewport.
fn failure_in_view(b: &Browser) -> (String, bool, Value) {
    let v = b.js(
        "const e = document.getElementById('failure-text'); const r = e.getBoundingClientRect(); \
         return [e.textContent, r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight && r.width > 0 && r.height > 0, \
                 [r.left, r.top, r.right, r.bottom, window.innerWidth, window.innerHeight]];",
    );
    (
        v[0].as_str().unwrap().to_string(),
        v[1].as_bool().unwrap(),
        v[2].clone(),
    )
}

#[test]
fn a_failing_run_zooms_pans_filters_and_shows_trace_lines_in_chromium() {
    let test = "a_failing_run_zooms_pans_filters_and_shows_trace_lines_in_chromium";
    let Some((browser, driver)) = tools(test) else {
        return;
    };
    let page = page_of("demo/rpc/lossy_counter", 0, "lossy");
    let b = Browser::start(&browser, &driver, "lossy");
    b.open(&page);

    // The failure is on screen, whole, before any input.
    let (text, inside, rect) = failure_in_view(&b);
    assert!(text.contains("counter is 69, expected 60"), "{text}");
    assert!(inside, "failure text outside the viewport: {rect}");

    // (a) Wheel up over the plot: the visible time span shrinks.
    let (t0, t1) = b.window();
    assert!(
        t0 == 0.0 && t1 > 20.0,
        "starts showing the whole run: {t0}..{t1}"
    );
    let middle = b.plot_middle();
    b.wheel(middle.0, middle.1, -400);
    let (z0, z1) = b.window();
    assert!(
        z1 - z0 < (t1 - t0) * 0.75,
        "zoom in: span {} → {}",
        t1 - t0,
        z1 - z0
    );
    assert!(z0 > t0 && z1 < t1, "zoomed around the pointer: {z0}..{z1}");
    let (_, inside, rect) = failure_in_view(&b);
    assert!(
        inside,
        "after zoom the failure text left the viewport: {rect}"
    );

    // (b) Drag right: the window moves to earlier times, same span.
    b.drag(middle, 200);
    let (p0, p1) = b.window();
    assert!(p0 < z0, "drag right pans to earlier times: {z0} → {p0}");
    assert!(
        ((p1 - p0) - (z1 - z0)).abs() < 1e-6,
        "panning keeps the span: {} vs {}",
        p1 - p0,
        z1 - z0
    );

    // (e) Click an RPC's call where it is drawn: it is selected and the
    // trace panel lists it among its neighbours and its RPC's lines.
    assert_eq!(b.plot_attr("lod"), "arrows");
    let target = b.js(
        "const M = timeline.model; const r = document.getElementById('canvas').getBoundingClientRect(); \
         for (const rpc of M.rpcs) { const p = timeline.where(rpc.call); \
           if (p && p.x > r.left + 140 && p.x < r.right - 40) return [rpc.call, Math.round(p.x), Math.round(p.y)]; } \
         return null;",
    );
    assert!(!target.is_null(), "no RPC call drawn in the window");
    let (cx, cy) = (target[1].as_i64().unwrap(), target[2].as_i64().unwrap());
    b.click_at(cx, cy);
    let shown = b.js(
        "const p = document.getElementById('plot'); const i = +p.dataset.selected; \
         const at = timeline.where(i); \
         const sel = document.querySelector('#trace-lines .sel'); \
         return [i, at && [at.x, at.y], sel && sel.textContent, timeline.model.events[i].line, \
                 document.querySelectorAll('#trace-lines .line').length, \
                 document.querySelectorAll('#trace-lines .rel').length];",
    );
    let at = &shown[1];
    assert!(
        !at.is_null()
            && (at[0].as_f64().unwrap() - cx as f64).abs() <= 8.0
            && (at[1].as_f64().unwrap() - cy as f64).abs() <= 8.0,
        "the selected event is the one under the click: {shown}"
    );
    assert_eq!(shown[2], shown[3], "the panel highlights the selected line");
    assert!(
        shown[4].as_u64().unwrap() >= 10,
        "neighbours listed: {shown}"
    );
    assert!(
        shown[5].as_u64().unwrap() >= 1,
        "the rest of its RPC listed: {shown}"
    );

    // (d) Untick the server lane: it is no longer drawn.
    assert!(b.plot_attr("lanes").split(',').any(|l| l == "server"));
    b.click_element(r#"input.lane-filter[data-name="server"]"#);
    let lanes = b.plot_attr("lanes");
    assert!(!lanes.split(',').any(|l| l == "server"), "{lanes}");
    assert!(lanes.split(',').any(|l| l == "client"), "{lanes}");
    let label = b.js(
        "const d = document.querySelector('#labels [data-lane=\"server\"]'); \
         return getComputedStyle(d).display;",
    );
    assert_eq!(label, json!("none"), "the server lane's label is hidden");

    let (_, inside, rect) = failure_in_view(&b);
    assert!(
        inside,
        "after all that the failure text is still in view: {rect}"
    );

    // A narrow window scrolled to the bottom of the page (the trace panel):
    // the banner wraps and stays in view.
    b.cmd("POST", "window/rect", json!({"width": 640, "height": 600}));
    b.js("window.scrollTo(0, document.body.scrollHeight);");
    let scrolled = b.js("return window.scrollY;");
    assert!(
        scrolled.as_f64().unwrap() > 0.0,
        "the page scrolled: {scrolled}"
    );
    let (_, inside, rect) = failure_in_view(&b);
    assert!(
        inside,
        "narrow and scrolled, the failure text left the viewport: {rect}"
    );
    drop(b);
    let _ = std::fs::remove_dir_all(page.parent().unwrap());
}

#[test]
fn a_big_raft_run_is_density_when_zoomed_out_and_arrows_when_zoomed_in() {
    let test = "a_big_raft_run_is_density_when_zoomed_out_and_arrows_when_zoomed_in";
    let Some((browser, driver)) = tools(test) else {
        return;
    };
    let page = page_of("raft/4b/figure8_unreliable", 0, "figure8");
    let b = Browser::start(&browser, &driver, "figure8");
    b.open(&page);
    let (t0, t1) = b.window();
    assert!(t1 - t0 > 10.0, "the whole run: {t0}..{t1}");
    let rpcs: u64 = b.plot_attr("rpcs").parse().unwrap();
    assert!(rpcs > 1000, "{rpcs} RPCs in view");
    assert_eq!(b.plot_attr("lod"), "density", "thousands of RPCs aggregate");

    // Zoom in step by step: each turn shrinks the span, and once few enough
    // RPCs are in view they are drawn one by one.
    let middle = b.plot_middle();
    let mut span = t1 - t0;
    let mut turns = 0;
    while b.plot_attr("lod") != "arrows" {
        turns += 1;
        assert!(turns <= 20, "still density after 20 turns, span {span}");
        b.wheel(middle.0, middle.1, -300);
        let (a, z) = b.window();
        assert!(z - a < span, "turn {turns}: span {span} → {}", z - a);
        span = z - a;
    }
    let rpcs: u64 = b.plot_attr("rpcs").parse().unwrap();
    assert!(rpcs <= 600, "{rpcs} arrows");
    // Most of a partitioned Raft run's calls are unreachable: untick that
    // kind and its arrows go.
    b.click_element(r#"input.kind-filter[data-name="sim::rpc unreachable"]"#);
    let fewer: u64 = b.plot_attr("rpcs").parse().unwrap();
    assert!(fewer < rpcs, "unticking unreachable: {rpcs} → {fewer} RPCs");
    // The canvas really has ink: lanes, dots, arrows.
    let ink = b.js("const c = document.getElementById('canvas'); \
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
         let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; \
         return n / (d.length / 4);");
    assert!(ink.as_f64().unwrap() > 0.01, "canvas looks blank: {ink}");
    drop(b);
    let _ = std::fs::remove_dir_all(page.parent().unwrap());
}

#[test]
fn endpoint_datagrams_are_arrows_between_nodes_in_chromium() {
    let test = "endpoint_datagrams_are_arrows_between_nodes_in_chromium";
    let Some((browser, driver)) = tools(test) else {
        return;
    };
    let page = page_of("sim/endpoint/partition", 0, "endpoint");
    let b = Browser::start(&browser, &driver, "endpoint");
    b.open(&page);
    let drawn: usize = b.plot_attr("messages").parse().unwrap();
    let total = b.js("return timeline.model.messages.length;");
    assert!(drawn > 0, "no datagram drawn");
    assert_eq!(json!(drawn), total, "the whole run shows every datagram");
    // Clicking where a received datagram ends selects a datagram's line
    // (its receipt, or a send drawn at the same spot).
    let target = b.js(
        "const M = timeline.model; const r = document.getElementById('canvas').getBoundingClientRect(); \
         for (const m of M.messages) { if (!m.received) continue; const p = timeline.where(m.recv); \
           if (p && p.x > r.left + 140 && p.x < r.right - 40) return [m.recv, Math.round(p.x), Math.round(p.y)]; } \
         return null;",
    );
    assert!(!target.is_null(), "no datagram receipt drawn in the window");
    b.click_at(target[1].as_i64().unwrap(), target[2].as_i64().unwrap());
    let selected = b.js(
        "const i = +document.getElementById('plot').dataset.selected; return timeline.model.events[i].line;",
    );
    let line = selected.as_str().unwrap();
    assert!(line.contains(" sim::endpoint "), "{line}");
    drop(b);
    let _ = std::fs::remove_dir_all(page.parent().unwrap());
}
