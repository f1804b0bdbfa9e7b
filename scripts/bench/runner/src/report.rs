//! The table: one line per figure of the issue, then what each is made of.

use serde_json::Value;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn met(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "?",
    }
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn times(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else {
        format!("{v:.2}×")
    }
}

pub fn table(r: &Value) -> String {
    let cold = &r["cold_start"];
    let mem = &r["memory"];
    let bin = &r["binary"];
    let con = &r["connect"];
    let st = &r["status"];
    let hot = &r["token"]["hot_path"];
    let stampede = &r["token"]["stampede"];
    let m = &r["method"];

    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line("| # | Figure (median) | Authdeck | Reference | Ratio | Target | Met |".into());
    line("|---|---|---|---|---|---|---|".into());
    line(format!(
        "| 1 | Cold start to dashboard painted, Xvfb ({} launches each) | {} | {} (Tauri 2 hello world) | {} | ≤ 1.3× | {} |",
        m["window_runs"],
        ms(num(&cold["authdeck"]["painted_ms"]["median"])),
        ms(num(&cold["baseline"]["painted_ms"]["median"])),
        times(num(&cold["ratio"])),
        met(&cold["met"]),
    ));
    line(format!(
        "| 2 | Memory 5 s after start, whole process tree, sum of PSS | {:.0} MiB | {:.0} MiB (hello world) | {} | ≤ 1.15× | {} |",
        num(&mem["authdeck"]["pss_mib"]["median"]),
        num(&mem["baseline"]["pss_mib"]["median"]),
        times(num(&mem["ratio"])),
        met(&mem["met"]),
    ));
    line(format!(
        "| 3 | Stripped release binary | {:.2} MB ({:.2} MiB) | {:.2} MB (hello world) | — | ≤ 10 MB | {} |",
        num(&bin["authdeck"]["mb"]),
        num(&bin["authdeck"]["mib"]),
        num(&bin["baseline"]["mb"]),
        met(&bin["met"]),
    ));
    line(format!(
        "| 4 | Connect: full PKCE sign-in, whole process ({} each) | {} | {} (InstalledAppFlow.run_local_server) | {} | ≤ 0.5× | {} |",
        m["connect_runs"],
        ms(num(&con["authdeck_ms"]["median"])),
        ms(num(&con["installed_app_flow_ms"]["median"])),
        times(num(&con["ratio"])),
        met(&con["met"]),
    ));
    line(format!(
        "| 5 | `authdeck status --json`, six connected services, whole process ({} runs) | {} | {} (`secret-tool search --all`, same items) | {} | ≤ 30 ms, ≤ 2× | {} |",
        m["status_runs"],
        ms(num(&st["status"]["median"])),
        ms(num(&st["secret_tool_search"]["median"])),
        times(num(&st["status_ratio"])),
        met(&st["met"]),
    ));
    let tok = &st["token"];
    line(format!(
        "| 5b | `authdeck token github`, valid token, whole process ({} runs) | {} | {} (`secret-tool lookup`, same item) | {} | ≤ 15 ms, ≤ 1.5× | {} |",
        m["status_runs"],
        ms(num(&tok["authdeck_ms"]["median"])),
        ms(num(&tok["secret_tool_lookup_ms"]["median"])),
        times(num(&tok["ratio"])),
        met(&tok["met"]),
    ));
    line(format!(
        "| 6a | `token()` with a valid token, per call ({} calls) | {} | — | — | — | — |",
        hot["calls"],
        ms(num(&hot["median_ms"])),
    ));
    let refreshes: Vec<String> = stampede["rounds"]
        .as_array()
        .map(|rounds| {
            rounds
                .iter()
                .map(|r| r["refresh_requests"].to_string())
                .collect()
        })
        .unwrap_or_default();
    line(format!(
        "| 6b | 100 concurrent `token()` callers on an expired token ({} rounds) | {} wall, refresh requests per round: {} | — | — | 1 refresh | {} |",
        refreshes.len(),
        ms(num(&stampede["median_wall_ms"])),
        refreshes.join(", "),
        met(&stampede["met"]),
    ));

    let w = &r["watch"];
    line(format!(
        "| 7 | `authdeck watch` idle ({} s), six connected services: resident memory, wakeups | {:.1} MiB max, {:.0} context switches/min (all threads) | — | — | ≤ 15 MiB, a pass ≤ 1/min | {} |",
        w["seconds"],
        num(&w["max_rss_mib"]),
        num(&w["context_switches_per_minute"]),
        met(&w["met"]),
    ));

    line(String::new());
    line("What the figures are made of (medians):".into());
    line(format!(
        "- Window: mapped after {} (Authdeck) vs {} (baseline); first non-blank paint {} vs {}; painted (final frame, cards for Authdeck) {} vs {}.",
        ms(num(&cold["authdeck"]["mapped_ms"]["median"])),
        ms(num(&cold["baseline"]["mapped_ms"]["median"])),
        ms(num(&cold["authdeck"]["first_paint_ms"]["median"])),
        ms(num(&cold["baseline"]["first_paint_ms"]["median"])),
        ms(num(&cold["authdeck"]["painted_ms"]["median"])),
        ms(num(&cold["baseline"]["painted_ms"]["median"])),
    ));
    let kinds = |v: &Value| -> String {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k} {:.0}", num(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    line(format!(
        "- PSS by process (MiB): Authdeck: {}; baseline: {}.",
        kinds(&mem["authdeck"]["pss_mib_by_process"]),
        kinds(&mem["baseline"]["pss_mib_by_process"]),
    ));
    let b = &st["breakdown_ms"];
    let field = |prefix: &str| {
        b.as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.starts_with(prefix))
                    .map(|(_, v)| num(v))
            })
            .unwrap_or(f64::NAN)
    };
    line(format!(
        "- status: process start and exit (`authdeck --version`) {}; + tokio runtime, catalog (`authdeck services`) {}; + keyring reads and the status ({}) {}.",
        ms(field("process_start")),
        ms(field("runtime")),
        "`status --json`",
        ms(field("keyring")),
    ));
    let probe = &st["keyring_probe"];
    line(format!(
        "- For comparison: a process linking the authdeck library without the window starts and exits in {}; keyring reads the way keyring 3 does them (a new D-Bus connection and DH session each): one {}, the six token items of `status` one after another {}; all items of the service through one DH session {} (one plain session {}).",
        ms(num(&st["gui_free_process_start_ms"]["median"])),
        ms(num(&probe["one_read_new_session_ms"]["median"])),
        ms(num(&probe["token_reads_one_by_one_ms"]["median"])),
        ms(num(&probe["all_items_one_dh_session_ms"]["median"])),
        ms(num(&probe["all_items_one_plain_session_ms"]["median"])),
    ));
    line(format!(
        "- token(): one keyring read (a new D-Bus connection and DH session) of a token item {}, of a missing client item {}.",
        ms(num(&hot["keyring_read_token_median_ms"])),
        ms(num(&hot["keyring_read_client_median_ms"])),
    ));
    line(format!(
        "- Connect: Authdeck also asks the fake who the account is and saves the tokens in the keyring; InstalledAppFlow keeps them in memory only. Fake provider saw: {}.",
        con["fake_provider_requests"],
    ));
    let errors: Vec<String> = [("status", &st["errors"]), ("connect", &con["errors"])]
        .iter()
        .flat_map(|(name, e)| {
            e.as_array()
                .into_iter()
                .flatten()
                .map(move |x| format!("{name}: {}", x.as_str().unwrap_or_default()))
        })
        .collect();
    for e in errors {
        line(format!("- ERROR {e}"));
    }
    line(format!(
        "- Machine: {} cores ({}), {:.1} GiB RAM, kernel {}, Debian {}; load average {:.1} at start, {:.1} at end; whole bench {:.0} s.",
        r["machine"]["nproc"],
        r["machine"]["cpu_model"].as_str().unwrap_or("?"),
        num(&r["machine"]["ram_gib"]),
        r["machine"]["kernel"].as_str().unwrap_or("?"),
        r["machine"]["debian"].as_str().unwrap_or("?"),
        num(&r["load_average"]["start"]),
        num(&r["load_average"]["end"]),
        num(&r["bench_seconds"]),
    ));
    out
}
