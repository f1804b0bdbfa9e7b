//! The measuring half of `bash scripts/bench.sh` (which builds everything and
//! starts this inside a private D-Bus session with an unlocked gnome-keyring
//! and an Xvfb display). Every figure is the median of repeated runs; the two
//! sides of each ratio are measured in the same run, interleaved (A B, B A, …)
//! so that whatever else the machine does hits both.
//!
//! Phases: sizes; `status --json` with six connected services; the window's
//! cold start and memory against the hello-world baseline; `authdeck connect`
//! against google-auth-oauthlib's InstalledAppFlow; the `token()` hot path.
//! Writes `<out>/results.json` and `<out>/table.md`, and prints the table.

mod keyring;
mod keyring_probe;
mod machine;
mod procs;
mod report;
mod stats;
mod window;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The keyring service holding the six connected services (status and window).
const DASHBOARD_KEYRING: &str = "authdeck-bench-dashboard";
/// The keyring service `authdeck connect` writes to.
const CONNECT_KEYRING: &str = "authdeck-bench-connect";
/// Authdeck's built-in Google scopes (src-tauri/core/provider/builtin.rs): the Python
/// flow asks for the same.
const GOOGLE_SCOPES: &[&str] = &[
    "openid",
    "email",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/documents.readonly",
];

struct Config {
    /// The window program (authdeck-app).
    app: PathBuf,
    /// The command-line tool (authdeck), which links no GUI library.
    cli: PathBuf,
    baseline: PathBuf,
    browser: PathBuf,
    browser_launcher: PathBuf,
    fake: PathBuf,
    bench_token: PathBuf,
    python: PathBuf,
    flow_driver: PathBuf,
    out: PathBuf,
    scratch: PathBuf,
    date: String,
    window_runs: usize,
    connect_runs: usize,
    status_runs: usize,
    token_calls: usize,
    token_rounds: usize,
    observe: Duration,
    watch_secs: u64,
    phases: Vec<String>,
    frames_dir: Option<PathBuf>,
}

impl Config {
    fn wants(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase || p == "all")
    }
}

fn main() {
    let config = match parse_args() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("authdeck-bench: {why}");
            std::process::exit(2);
        }
    };
    if let Err(why) = run(&config) {
        eprintln!("authdeck-bench: {why}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Config, String> {
    let mut map: HashMap<String, String> = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(key) = args.next() {
        let key = key
            .strip_prefix("--")
            .ok_or_else(|| format!("expected --option, got {key}"))?
            .to_string();
        let value = args
            .next()
            .ok_or_else(|| format!("--{key} needs a value"))?;
        map.insert(key, value);
    }
    let path = |k: &str| {
        map.get(k)
            .map(PathBuf::from)
            .ok_or_else(|| format!("--{k} is required"))
    };
    let number = |k: &str, default: usize| -> Result<usize, String> {
        match map.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("--{k} needs a positive number")),
        }
    };
    Ok(Config {
        app: path("app")?,
        cli: path("cli")?,
        baseline: path("baseline")?,
        browser: path("browser")?,
        browser_launcher: path("browser-launcher")?,
        fake: path("fake")?,
        bench_token: path("bench-token")?,
        python: path("python")?,
        flow_driver: path("flow-driver")?,
        out: path("out")?,
        scratch: path("scratch")?,
        date: map.get("date").cloned().unwrap_or_default(),
        window_runs: number("window-runs", 7)?,
        connect_runs: number("connect-runs", 15)?,
        status_runs: number("status-runs", 30)?,
        token_calls: number("token-calls", 200)?,
        token_rounds: number("token-rounds", 5)?,
        observe: Duration::from_secs(number("observe-secs", 5)? as u64),
        watch_secs: number("watch-secs", 300)? as u64,
        // For looking into one figure: `--phases window --frames-dir DIR`.
        phases: map
            .get("phases")
            .map(|p| p.split(',').map(str::to_string).collect())
            .unwrap_or_else(|| vec!["all".into()]),
        frames_dir: map.get("frames-dir").map(PathBuf::from),
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn say(line: &str) {
    eprintln!("bench: {line}");
}

fn run(c: &Config) -> Result<(), String> {
    let started = Instant::now();
    std::fs::create_dir_all(&c.out).map_err(|e| format!("{}: {e}", c.out.display()))?;
    let logs = c.scratch.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let load_start = machine::load_average();

    let sizes = sizes(c);

    keyring::clear(DASHBOARD_KEYRING);
    keyring::plant_six_connected(DASHBOARD_KEYRING, unix_now())?;
    let dashboard_config = c.scratch.join("config-dashboard");
    std::fs::create_dir_all(&dashboard_config).map_err(|e| e.to_string())?;
    let dashboard_env = vec![
        (
            "AUTHDECK_KEYRING_SERVICE".to_string(),
            DASHBOARD_KEYRING.to_string(),
        ),
        (
            "AUTHDECK_CONFIG_DIR".to_string(),
            dashboard_config.display().to_string(),
        ),
    ];

    let mut status = Value::Null;
    if c.wants("status") {
        say(&format!(
            "status: {} rounds of --version / services / status --json",
            c.status_runs
        ));
        status = status_phase(c, &dashboard_env)?;
    }
    let mut window = Value::Null;
    if c.wants("window") {
        say(&format!(
            "window: {} launches each of Authdeck and the baseline",
            c.window_runs
        ));
        window = window_phase(c, &dashboard_env, &logs)?;
    }
    let mut connect = Value::Null;
    if c.wants("connect") {
        say(&format!(
            "connect: {} sign-ins each, Authdeck and InstalledAppFlow",
            c.connect_runs
        ));
        connect = connect_phase(c, &logs)?;
    }
    let mut watch = Value::Null;
    if c.wants("watch") {
        say(&format!(
            "watch: `authdeck watch` idle for {} s with six connected services",
            c.watch_secs
        ));
        watch = watch_phase(c, &dashboard_env)?;
    }
    let mut token = Value::Null;
    if c.wants("token") {
        say("token: hot path and 100 concurrent callers on an expired token");
        token = token_phase(c)?;
    }

    keyring::clear(DASHBOARD_KEYRING);
    let results = json!({
        "date": c.date,
        "machine": machine::describe(),
        "load_average": {"start": load_start, "end": machine::load_average()},
        "bench_seconds": stats::round(started.elapsed().as_secs_f64()),
        "method": {
            "window_runs": c.window_runs,
            "connect_runs": c.connect_runs,
            "status_runs": c.status_runs,
            "memory_sample_seconds": c.observe.as_secs(),
        },
        "binary": sizes,
        "cold_start": window["cold_start"],
        "memory": window["memory"],
        "window_runs": window["runs"],
        "connect": connect,
        "status": status,
        "token": token,
        "watch": watch,
    });
    let table = report::table(&results);
    let json_path = c.out.join("results.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&results).unwrap_or_default() + "\n",
    )
    .map_err(|e| format!("{}: {e}", json_path.display()))?;
    std::fs::write(c.out.join("table.md"), &table).map_err(|e| e.to_string())?;
    println!("{table}");
    say(&format!("wrote {}", json_path.display()));
    Ok(())
}

// ----- item 3: sizes ---------------------------------------------------------

fn sizes(c: &Config) -> Value {
    let describe = |p: &Path| {
        let bytes = procs::file_size(p);
        json!({
            "path": p.display().to_string(),
            "bytes": bytes,
            "mb": stats::round(bytes as f64 / 1e6),
            "mib": stats::round(bytes as f64 / 1024.0 / 1024.0),
            "stripped": machine::is_stripped(p),
        })
    };
    let app = describe(&c.app);
    let bytes = app["bytes"].as_u64().unwrap_or(u64::MAX);
    json!({
        "authdeck": app,
        "baseline": describe(&c.baseline),
        "target_mb": 10.0,
        "met": bytes <= 10_000_000 && app["stripped"] == json!(true),
    })
}

// ----- item 5: status ----------------------------------------------------------

fn status_phase(c: &Config, env: &[(String, String)]) -> Result<Value, String> {
    // Each Authdeck command beside its floor: one C process (secret-tool)
    // reading the same items from the same keyring.
    let token_item = "token:github";
    let cli = |args: &[&str]| {
        let mut command = Command::new(&c.cli);
        command.args(args).envs(env.iter().cloned());
        command
    };
    let secret_tool = |args: &[&str]| {
        let mut command = Command::new("secret-tool");
        command.args(args);
        command
    };
    let variants: Vec<(&str, Command)> = vec![
        ("version", cli(&["--version"])),
        ("services", cli(&["services"])),
        ("status", cli(&["status", "--json"])),
        (
            "secret_tool_search",
            secret_tool(&["search", "--all", "service", DASHBOARD_KEYRING]),
        ),
        ("token", cli(&["token", "github"])),
        (
            "secret_tool_lookup",
            secret_tool(&["lookup", "service", DASHBOARD_KEYRING, "username", token_item]),
        ),
    ];
    let mut variants = variants;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut failures = Vec::new();
    let warmup = 3;
    for round in 0..warmup + c.status_runs {
        // Alternate the order so no variant always runs right after another.
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (name, command) = &mut variants[i];
            let name = *name;
            let t = procs::timed(command);
            if !t.ok {
                failures.push(format!("{name}: {}", t.stderr.trim()));
                continue;
            }
            let problem = match name {
                "status" => {
                    let connected = serde_json::from_str::<Value>(&t.stdout)
                        .ok()
                        .and_then(|v| v.as_array().cloned())
                        .map(|all| all.iter().filter(|s| s["state"] == "connected").count())
                        .unwrap_or(0);
                    (connected != 6).then(|| {
                        format!(
                            "status --json showed {connected} connected services, not 6: {}",
                            t.stdout.trim()
                        )
                    })
                }
                "secret_tool_search" => {
                    // Attributes go to stderr, label and secret to stdout.
                    let items = t.stderr.matches("attribute.username = token:").count();
                    (items != 6).then(|| format!("secret-tool search found {items} items, not 6"))
                }
                "token" | "secret_tool_lookup" => (t.stdout.trim() != "bench-github-access-token"
                    && !t.stdout.contains("\"access_token\":\"bench-github-access-token\""))
                .then(|| format!("{name} printed {:?}", t.stdout.trim())),
                _ => None,
            };
            if let Some(problem) = problem {
                failures.push(problem);
            }
            if round >= warmup {
                times[i].push(t.ms);
            }
        }
    }
    failures.dedup();
    // GUI-free process start: a program linked against the same library but
    // without the window (bench-token), started and ended.
    let mut gui_free = Vec::new();
    for round in 0..warmup + c.status_runs {
        let t = procs::timed(Command::new(&c.bench_token).arg("--startup-only"));
        if t.ok && round >= warmup {
            gui_free.push(t.ms);
        }
    }
    let keyring = keyring_probe::probe(
        DASHBOARD_KEYRING,
        &["google", "dropbox", "zoom", "notion", "github", "microsoft"],
        c.status_runs.min(20),
    );
    let median = |i: usize| stats::median(&times[i]);
    let status_ms = median(2);
    let status_ratio = status_ms / median(3);
    let token_ms = median(4);
    let token_ratio = token_ms / median(5);
    let clean = failures.is_empty();
    Ok(json!({
        "services_connected": 6,
        "version": stats::summary(&times[0]),
        "services": stats::summary(&times[1]),
        "status": stats::summary(&times[2]),
        "secret_tool_search": stats::summary(&times[3]),
        "status_ratio": stats::round(status_ratio),
        "status_target_ratio": 2.0,
        "token": {
            "authdeck_ms": stats::summary(&times[4]),
            "secret_tool_lookup_ms": stats::summary(&times[5]),
            "ratio": stats::round(token_ratio),
            "target_ms": 15.0,
            "target_ratio": 1.5,
            "met": clean && token_ms <= 15.0 && token_ratio <= 1.5,
        },
        "breakdown_ms": {
            "process_start_and_exit (authdeck --version)": stats::round(median(0)),
            "runtime_and_catalog (services - version)": stats::round(median(1) - median(0)),
            "keyring_reads_and_status (status --json - services)": stats::round(status_ms - median(1)),
        },
        "gui_free_process_start_ms": stats::summary(&gui_free),
        "keyring_probe": keyring,
        "target_ms": 30.0,
        "met": clean && status_ms <= 30.0 && status_ratio <= 2.0,
        "errors": failures,
    }))
}

// ----- items 1 and 2: cold start and memory ---------------------------------------

fn window_phase(c: &Config, env: &[(String, String)], logs: &Path) -> Result<Value, String> {
    let display =
        window::Display::open().map_err(|e| format!("cannot watch the X display: {e}"))?;
    // Authdeck is ready when its cards are drawn (the lower half of the window
    // has content); the baseline's page is static.
    let apps = [
        ("authdeck", &c.app, window::Ready::ContentBelow(0.5)),
        ("baseline", &c.baseline, window::Ready::Settled),
    ];
    let mut runs: [Vec<window::WindowRun>; 2] = [Vec::new(), Vec::new()];
    // One launch each first, not counted: it fills the page cache, WebKit's and
    // Mesa's caches for both, so every counted launch starts from the same state.
    for (name, program, ready) in apps {
        let r = display.run(
            program,
            env,
            &logs.join(format!("window-{name}-warmup.log")),
            c.observe,
            ready,
            None,
            None,
        );
        if let Some(e) = &r.error {
            say(&format!("warm-up launch of {name}: {e}"));
        }
    }
    for i in 0..c.window_runs {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let (name, program, ready) = apps[k];
            let snapshot = (i == 0).then(|| c.out.join(format!("{name}-window.ppm")));
            let frames_dir = c.frames_dir.as_ref().map(|d| d.join(format!("{name}-{i}")));
            let r = display.run(
                program,
                env,
                &logs.join(format!("window-{name}-{i}.log")),
                c.observe,
                ready,
                snapshot,
                frames_dir,
            );
            say(&format!(
                "  {name} #{i}: mapped {:?} ms, painted {:?} ms, {} frames, PSS {} MiB{}",
                r.mapped_ms.map(|v| v.round()),
                r.painted_ms.map(|v| v.round()),
                r.distinct_frames,
                r.pss_mib(),
                r.error
                    .as_deref()
                    .map(|e| format!(" — {e}"))
                    .unwrap_or_default()
            ));
            runs[k].push(r);
        }
    }
    let good = |k: usize| -> Vec<&window::WindowRun> {
        runs[k].iter().filter(|r| r.error.is_none()).collect()
    };
    let series = |k: usize, f: &dyn Fn(&window::WindowRun) -> Option<f64>| -> Vec<f64> {
        good(k).into_iter().filter_map(f).collect()
    };
    let side = |k: usize| {
        let painted = series(k, &|r| r.painted_ms);
        let mapped = series(k, &|r| r.mapped_ms);
        let first = series(k, &|r| r.first_paint_ms);
        let pss = series(k, &|r| Some(r.pss_mib()));
        // PSS by process kind, medians over runs.
        let mut by_kind: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for r in good(k) {
            let mut per_run: std::collections::BTreeMap<String, f64> = Default::default();
            for p in &r.memory {
                *per_run.entry(p.name.clone()).or_default() += p.pss_kib as f64 / 1024.0;
            }
            for (name, mib) in per_run {
                by_kind.entry(name).or_default().push(mib);
            }
        }
        let kinds: serde_json::Map<String, Value> = by_kind
            .into_iter()
            .map(|(name, v)| (name, json!(stats::round(stats::median(&v)))))
            .collect();
        (
            json!({
                "painted_ms": stats::summary(&painted),
                "mapped_ms": stats::summary(&mapped),
                "first_paint_ms": stats::summary(&first),
                "failed_runs": runs[k].len() - good(k).len(),
            }),
            json!({
                "pss_mib": stats::summary(&pss),
                "pss_mib_by_process": kinds,
            }),
            stats::median(&painted),
            stats::median(&pss),
        )
    };
    let (a_time, a_mem, a_painted, a_pss) = side(0);
    let (b_time, b_mem, b_painted, b_pss) = side(1);
    let painted_ratio = a_painted / b_painted;
    let pss_ratio = a_pss / b_pss;
    Ok(json!({
        "cold_start": {
            "authdeck": a_time,
            "baseline": b_time,
            "ratio": stats::round(painted_ratio),
            "target_ratio": 1.3,
            "met": painted_ratio <= 1.3,
        },
        "memory": {
            "authdeck": a_mem,
            "baseline": b_mem,
            "ratio": stats::round(pss_ratio),
            "target_ratio": 1.15,
            "met": pss_ratio <= 1.15,
        },
        "runs": {
            "authdeck": runs[0].iter().map(window::WindowRun::json).collect::<Vec<_>>(),
            "baseline": runs[1].iter().map(window::WindowRun::json).collect::<Vec<_>>(),
        },
    }))
}

// ----- item 4: connect -------------------------------------------------------------

/// The fake provider program, running until its stdin closes.
struct Fake {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: BufReader<std::process::ChildStdout>,
    hello: Value,
}

impl Fake {
    fn start(program: &Path, family: &str, log: &Path) -> Result<Fake, String> {
        let stderr = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let mut child = Command::new(program)
            .arg(family)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let input = child.stdin.take().ok_or("no stdin")?;
        let mut output = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        output.read_line(&mut line).map_err(|e| e.to_string())?;
        let hello: Value =
            serde_json::from_str(&line).map_err(|e| format!("fake provider said {line:?}: {e}"))?;
        Ok(Fake {
            child,
            input,
            output,
            hello,
        })
    }

    fn counts(&mut self) -> Value {
        let mut line = String::new();
        if writeln!(self.input, "counts").is_ok() && self.output.read_line(&mut line).is_ok() {
            serde_json::from_str(&line).unwrap_or(Value::Null)
        } else {
            Value::Null
        }
    }

    fn text(&self, key: &str) -> String {
        self.hello[key].as_str().unwrap_or_default().to_string()
    }

    fn stop(mut self) {
        drop(self.input);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect_phase(c: &Config, logs: &Path) -> Result<Value, String> {
    let mut fake = Fake::start(&c.fake, "google", &logs.join("fake-provider.log"))?;
    let config_dir = c.scratch.join("config-connect");
    std::fs::create_dir_all(&config_dir).map_err(|e| e.to_string())?;
    std::fs::write(
        config_dir.join("providers.toml"),
        fake.text("providers_toml"),
    )
    .map_err(|e| e.to_string())?;
    keyring::clear(CONNECT_KEYRING);
    let hello = fake.hello.clone();
    let text = |key: &str| hello[key].as_str().unwrap_or_default().to_string();

    // Both sides get the same browser and no display: `connect` is a command-line
    // sign-in, and with DISPLAY set Python's webbrowser would also run
    // `xdg-settings` before reading $BROWSER, which would only flatter Authdeck.
    // $BROWSER is a launcher that returns at once and leaves the scripted browser
    // running (scripts/bench/browser.sh says why).
    let prepare = |command: &mut Command| {
        command
            .env("BROWSER", &c.browser_launcher)
            .env("AUTHDECK_BENCH_SCRIPTED_BROWSER", &c.browser)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    };
    let authdeck = || {
        let mut command = Command::new(&c.cli);
        command
            .args(["connect", "google", "--timeout", "20"])
            .env("AUTHDECK_KEYRING_SERVICE", CONNECT_KEYRING)
            .env("AUTHDECK_CONFIG_DIR", &config_dir);
        if let Some(vars) = hello["credentials_env"].as_object() {
            for (k, v) in vars {
                command.env(k, v.as_str().unwrap_or_default());
            }
        }
        prepare(&mut command);
        command
    };
    let python = || {
        let mut command = Command::new(&c.python);
        command
            .arg(&c.flow_driver)
            .args([
                text("authorize_url"),
                text("token_url"),
                text("client_id"),
                text("client_secret"),
            ])
            .args(GOOGLE_SCOPES)
            // This machine's environment sets it; a person's Python caches bytecode.
            .env_remove("PYTHONDONTWRITEBYTECODE");
        prepare(&mut command);
        command
    };
    let sides: [(&str, &dyn Fn() -> Command); 2] =
        [("authdeck", &authdeck), ("installed_app_flow", &python)];
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut failures: Vec<String> = Vec::new();
    let warmup = 2;
    for round in 0..warmup + c.connect_runs {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let (name, make) = sides[k];
            let before = fake.counts()["token"].as_u64().unwrap_or(0);
            let t = procs::timed(&mut make());
            let after = fake.counts()["token"].as_u64().unwrap_or(0);
            if !t.ok || after != before + 1 {
                failures.push(format!(
                    "{name}: exit ok={} token requests +{}: {}",
                    t.ok,
                    after.saturating_sub(before),
                    t.stderr.trim()
                ));
            } else if round >= warmup {
                times[k].push(t.ms);
            }
            // The scripted browser runs detached; let it finish its last page.
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let counts = fake.counts();
    fake.stop();
    keyring::clear(CONNECT_KEYRING);
    failures.dedup();
    let a = stats::median(&times[0]);
    let b = stats::median(&times[1]);
    Ok(json!({
        "provider": "fake Google (tests/support/fake_provider) on 127.0.0.1",
        "authdeck_ms": stats::summary(&times[0]),
        "installed_app_flow_ms": stats::summary(&times[1]),
        "ratio": stats::round(a / b),
        "target_ratio": 0.5,
        "met": failures.is_empty() && a / b <= 0.5,
        "fake_provider_requests": counts,
        "errors": failures,
    }))
}

// ----- the keeper, idle ------------------------------------------------------------------

/// Context switches of every thread of a process: each is a wakeup (or a
/// preemption) of that thread.
fn switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    let mut total = 0;
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            if let Some(v) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    total
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `authdeck watch` left alone: its resident memory, and how often its
/// threads wake, per minute, after its first pass.
fn watch_phase(c: &Config, env: &[(String, String)]) -> Result<Value, String> {
    let mut child = Command::new(&c.cli)
        .arg("watch")
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start authdeck watch: {e}"))?;
    let pid = child.id();
    // Past the first pass (it reads the keyring right away).
    std::thread::sleep(Duration::from_secs(5));
    let start_switches = switches(pid);
    let started = Instant::now();
    let mut rss = Vec::new();
    while started.elapsed() < Duration::from_secs(c.watch_secs) {
        std::thread::sleep(Duration::from_secs(10));
        if let Ok(Some(_)) = child.try_wait() {
            return Err("authdeck watch exited during the bench".into());
        }
        rss.push(rss_kib(pid) as f64 / 1024.0);
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let wakeups = (switches(pid) - start_switches) as f64 / minutes;
    procs::signal(pid, 15);
    let _ = child.wait();
    let max_rss = rss.iter().cloned().fold(0.0, f64::max);
    Ok(json!({
        "seconds": c.watch_secs,
        "rss_mib": stats::summary(&rss),
        "max_rss_mib": stats::round(max_rss),
        "target_rss_mib": 15.0,
        "context_switches_per_minute": stats::round(wakeups),
        "met": max_rss <= 15.0,
    }))
}

// ----- item 6: token hot path ---------------------------------------------------------

fn token_phase(c: &Config) -> Result<Value, String> {
    let t = procs::timed(
        Command::new(&c.bench_token)
            .args(["--calls", &c.token_calls.to_string()])
            .args(["--callers", "100"])
            .args(["--rounds", &c.token_rounds.to_string()])
            .env("AUTHDECK_BENCH_SESSION", "1"),
    );
    if !t.ok {
        return Err(format!("bench-token failed: {}", t.stderr.trim()));
    }
    let mut value: Value = serde_json::from_str(t.stdout.trim())
        .map_err(|e| format!("bench-token printed {:?}: {e}", t.stdout))?;
    // Every round: exactly one refresh request, and every caller served.
    let met = value["stampede"]["rounds"]
        .as_array()
        .is_some_and(|rounds| {
            !rounds.is_empty()
                && rounds.iter().all(|r| {
                    r["refresh_requests"] == json!(1)
                        && r["errors"].as_array().is_some_and(|e| e.is_empty())
                })
        });
    value["stampede"]["met"] = json!(met);
    Ok(value)
}
