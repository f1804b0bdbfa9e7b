//! Item 6 of scripts/bench.sh: the token hot path, through the authdeck library
//! against the real Secret Service of the bench session and an in-process fake
//! Google on 127.0.0.1.
//!
//! 1. Hot path: `Accounts::token(id, now)` with a valid saved token, called one
//!    after another; also one bare keyring read of each kind, to show what a
//!    call is made of.
//! 2. Stampede: 100 callers released at once on an expired token (with a
//!    refresh token the fake knows): the wall time until all have a token, and
//!    how many refresh requests reached the provider (must be 1).
//!
//! Built as the `bench-token` program of authdeck-test-support (release
//! profile, by scripts/bench.sh). Prints one JSON object.
//! Usage: bench-token [--calls N] [--callers N] [--rounds N]
//!        bench-token --startup-only   (exits at once: times a GUI-free process start)
//! Refuses to run outside the bench or test session: it writes to the keyring.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authdeck_core::accounts::Accounts;
use authdeck_core::catalog::Catalog;
use authdeck_core::credentials::Env;
use authdeck_core::secret::{AccessToken, RefreshToken};
use authdeck_core::store::Store;
use authdeck_core::token::{unix_now, Method, TokenSet};
use authdeck_core::transport::HttpTransport;
use authdeck_test_support::fake_provider::{FakeProvider, Family, Minted};

const SERVICE_ID: &str = "google";
const SCOPES: &[&str] = &[
    "openid",
    "email",
    "https://www.googleapis.com/auth/drive.readonly",
];

struct Options {
    calls: usize,
    callers: usize,
    rounds: usize,
}

fn main() {
    // Process start and exit of a program that links the authdeck library but
    // not the window: what a GUI-free `authdeck` CLI would pay before any work.
    if std::env::args().nth(1).as_deref() == Some("--startup-only") {
        return;
    }
    if std::env::var_os("AUTHDECK_BENCH_SESSION").is_none()
        && std::env::var_os("AUTHDECK_TEST_SESSION").is_none()
    {
        eprintln!("bench-token: run it through `bash scripts/bench.sh`: it needs the private D-Bus + gnome-keyring session");
        std::process::exit(2);
    }
    let options = match parse_args() {
        Ok(options) => options,
        Err(why) => {
            eprintln!("bench-token: {why}");
            std::process::exit(2);
        }
    };
    // The same runtime the CLI builds (src-tauri/cli.rs).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-token: no runtime: {e}");
            std::process::exit(1);
        }
    };
    match runtime.block_on(run(&options)) {
        Ok(report) => println!("{report}"),
        Err(why) => {
            eprintln!("bench-token: {why}");
            std::process::exit(1);
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        calls: 200,
        callers: 100,
        rounds: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| format!("{flag} needs a positive number"))?;
        match flag.as_str() {
            "--calls" => options.calls = value,
            "--callers" => options.callers = value,
            "--rounds" => options.rounds = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

/// A config dir of its own, removed on drop (it holds providers.toml and locks/).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn run(options: &Options) -> Result<serde_json::Value, String> {
    let fake = FakeProvider::start(Family::Google);
    let pid = std::process::id();
    let scratch = Scratch(std::env::temp_dir().join(format!("authdeck-bench-token-{pid}")));
    std::fs::create_dir_all(&scratch.0).map_err(|e| format!("config dir: {e}"))?;
    std::fs::write(
        scratch.0.join("providers.toml"),
        fake.providers_toml(SERVICE_ID),
    )
    .map_err(|e| format!("providers.toml: {e}"))?;
    let credentials = fake.credentials_env();
    let env = Env::from_pairs(credentials.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let store = Store::new(format!("authdeck-bench-token-{pid}"));
    let catalog = Catalog::load(&scratch.0, &scratch.0.join("no-system-config"));
    let accounts = |store: &Store| {
        Accounts::new(
            catalog.clone(),
            store.clone(),
            Arc::new(HttpTransport::new(Duration::from_secs(30))),
            env.clone(),
            scratch.0.clone(),
        )
        .map(Arc::new)
        .map_err(|e| format!("accounts: {e}"))
    };

    let result = async {
        let hot = hot_path(&fake, &store, accounts(&store)?, options.calls).await?;
        let mut rounds = Vec::new();
        for _ in 0..options.rounds {
            rounds.push(stampede(&fake, &store, accounts(&store)?, options.callers).await?);
        }
        Ok::<_, String>((hot, rounds))
    }
    .await;
    // Leave nothing behind in the bench keyring, whatever happened.
    let _ = store.delete_token(SERVICE_ID).await;
    let (hot, rounds) = result?;

    let walls: Vec<f64> = rounds
        .iter()
        .map(|r| r["wall_ms"].as_f64().unwrap_or(f64::NAN))
        .collect();
    let max_refreshes = rounds
        .iter()
        .filter_map(|r| r["refresh_requests"].as_u64())
        .max()
        .unwrap_or(0);
    Ok(serde_json::json!({
        "hot_path": hot,
        "stampede": {
            "callers": options.callers,
            "rounds": rounds,
            "median_wall_ms": median(&walls),
            "max_refresh_requests": max_refreshes,
        },
    }))
}

/// A valid token in the keyring; `token()` called `calls` times in a row.
async fn hot_path(
    fake: &FakeProvider,
    store: &Store,
    accounts: Arc<Accounts>,
    calls: usize,
) -> Result<serde_json::Value, String> {
    let minted = fake.mint_tokens(SCOPES);
    let set = token_set(&minted, unix_now() + 3600);
    store
        .save_token(SERVICE_ID, &set)
        .await
        .map_err(|e| format!("planting the valid token: {e}"))?;

    for _ in 0..5 {
        accounts
            .token(SERVICE_ID, unix_now())
            .await
            .map_err(|e| format!("warm-up token(): {e}"))?;
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        let served = accounts
            .token(SERVICE_ID, unix_now())
            .await
            .map_err(|e| format!("token(): {e}"))?;
        times.push(ms(start.elapsed()));
        if served.method != Method::SavedToken
            || served.access_token.secret() != minted.access_token
        {
            return Err(format!(
                "token() did not serve the saved token (method {:?})",
                served.method
            ));
        }
    }

    // What one call is made of: a read of the token item (found) and of the
    // client item (not found; credentials come from the environment).
    let reads = calls.min(50);
    let mut token_reads = Vec::with_capacity(reads);
    let mut client_reads = Vec::with_capacity(reads);
    for _ in 0..reads {
        let start = Instant::now();
        store
            .load_token(SERVICE_ID)
            .await
            .map_err(|e| format!("load_token: {e}"))?;
        token_reads.push(ms(start.elapsed()));
        let start = Instant::now();
        store
            .load_client(SERVICE_ID)
            .await
            .map_err(|e| format!("load_client: {e}"))?;
        client_reads.push(ms(start.elapsed()));
    }
    Ok(serde_json::json!({
        "calls": calls,
        "median_ms": median(&times),
        "p90_ms": percentile(&times, 0.9),
        "min_ms": times.iter().cloned().fold(f64::INFINITY, f64::min),
        "mean_ms": times.iter().sum::<f64>() / times.len() as f64,
        "keyring_read_token_median_ms": median(&token_reads),
        "keyring_read_client_median_ms": median(&client_reads),
    }))
}

/// An expired token with a live refresh token; `callers` tasks released at once.
async fn stampede(
    fake: &FakeProvider,
    store: &Store,
    accounts: Arc<Accounts>,
    callers: usize,
) -> Result<serde_json::Value, String> {
    let minted = fake.mint_tokens(SCOPES);
    let set = token_set(&minted, unix_now().saturating_sub(120));
    store
        .save_token(SERVICE_ID, &set)
        .await
        .map_err(|e| format!("planting the expired token: {e}"))?;
    let refresh_before = fake.refresh_count();
    let token_requests_before = fake.token_requests().len();

    let gate = Arc::new(tokio::sync::Barrier::new(callers + 1));
    let mut tasks = Vec::with_capacity(callers);
    for _ in 0..callers {
        let (gate, accounts) = (Arc::clone(&gate), Arc::clone(&accounts));
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            let outcome = accounts.token(SERVICE_ID, unix_now()).await;
            (Instant::now(), outcome)
        }));
    }
    gate.wait().await;
    let start = Instant::now();
    let mut last_end = start;
    let mut errors = Vec::new();
    let mut tokens = std::collections::BTreeSet::new();
    let mut refreshed_by = 0;
    for task in tasks {
        let (end, outcome) = task.await.map_err(|e| format!("caller task: {e}"))?;
        last_end = last_end.max(end);
        match outcome {
            Ok(served) => {
                if served.method == Method::Refreshed {
                    refreshed_by += 1;
                }
                tokens.insert(served.access_token.secret().to_owned());
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    errors.dedup();
    Ok(serde_json::json!({
        "wall_ms": ms(last_end - start),
        "refresh_requests": fake.refresh_count() - refresh_before,
        "token_requests": fake.token_requests().len() - token_requests_before,
        "callers_served": callers - errors.len(),
        "callers_that_refreshed": refreshed_by,
        "distinct_tokens_served": tokens.len(),
        "errors": errors,
    }))
}

fn token_set(minted: &Minted, expires_at: u64) -> TokenSet {
    let now = unix_now();
    TokenSet {
        access_token: AccessToken::new(minted.access_token.clone()),
        refresh_token: minted.refresh_token.clone().map(RefreshToken::new),
        token_type: "Bearer".to_owned(),
        expires_at: Some(expires_at),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        requested_scopes: Vec::new(),
        method: Method::OauthPkce,
        account: Some("ada@example.com".to_owned()),
        obtained_at: now.saturating_sub(3600),
        refreshed_at: None,
        needs_reconnect: None,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// Nearest-rank on a sorted copy; the median of an even count is the mean of the middle two.
fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    if (p - 0.5).abs() < f64::EPSILON {
        let n = sorted.len();
        return if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
