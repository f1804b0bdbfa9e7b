//! Refresh under concurrency: many callers in one process, and the app's
//! engine racing the CLI. Rotating services (Zoom here) kill a refresh token
//! on use, so any second refresh or any unsaved rotation would log the
//! person out; these tests count what reaches the service.

use authdeck_core::accounts::Accounts;
use authdeck_core::catalog::Catalog;
use authdeck_core::credentials::Env;
use authdeck_core::store::Store;
use authdeck_core::token::unix_now;
use authdeck_core::transport::HttpTransport;
use std::sync::Arc;
use std::time::Duration;

use authdeck_test_support::cli::authdeck_path;
use authdeck_test_support::fake_provider::{FakeProvider, Family};
use authdeck_test_support::{require_test_session, secret_tool, TestEnv};

struct Setup {
    fake: FakeProvider,
    test: TestEnv,
}

impl Setup {
    fn new(name: &str) -> Self {
        require_test_session();
        let fake = FakeProvider::start(Family::Zoom);
        let test = TestEnv::new(name);
        test.write_providers_toml(&fake.providers_toml("zoom"));
        Self { fake, test }
    }

    /// The engine as the app builds it, on this test's keyring and config dir.
    fn engine(&self) -> Arc<Accounts> {
        let vars = self.fake.credentials_env();
        let env = Env::from_pairs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let dir = self.test.config.path().to_path_buf();
        Arc::new(
            Accounts::new(
                Catalog::load(&dir, &dir.join("no-system-config")),
                Store::new(&self.test.keyring_service),
                Arc::new(HttpTransport::new(Duration::from_secs(30))),
                env,
                dir,
            )
            .unwrap(),
        )
    }

    fn plant_expired(&self) {
        let minted = self.fake.mint_tokens(&["recording:read"]);
        let record = secret_tool::token_record_json(
            &minted.access_token,
            minted.refresh_token.as_deref(),
            Some(-10),
            &["recording:read"],
            "oauth_pkce",
            None,
        );
        secret_tool::store_token(&self.test.keyring_service, "zoom", &record);
    }

    /// `authdeck token zoom` as its own process, racing whatever runs here.
    fn cli_token(&self) -> std::process::Output {
        std::process::Command::new(authdeck_path())
            .args(["token", "zoom"])
            .envs(self.test.app_env())
            .envs(self.fake.credentials_env())
            .output()
            .unwrap()
    }

    fn saved_refresh_token(&self) -> Option<String> {
        secret_tool::token_record(&self.test.keyring_service, "zoom")
            .and_then(|r| r["refresh_token"].as_str().map(str::to_owned))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_hundred_concurrent_token_calls_on_an_expired_token_refresh_once() {
    let s = Setup::new("hundred");
    s.plant_expired();
    s.fake.set_token_delay(Duration::from_millis(300));
    let engine = s.engine();
    let tokens: Vec<String> = runtime().block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let engine = engine.clone();
                tokio::spawn(async move {
                    engine
                        .token("zoom", unix_now())
                        .await
                        .map(|t| t.access_token.secret().to_owned())
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap().expect("every caller gets a token"));
        }
        out
    });
    assert_eq!(s.fake.refresh_count(), 1, "exactly one refresh request");
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "all callers share the one new token"
    );
    assert!(s.fake.valid_access_tokens().contains(&tokens[0]));
    assert_eq!(
        s.saved_refresh_token(),
        s.fake.current_refresh_token(),
        "the rotated refresh token is saved"
    );
}

#[test]
fn the_app_engine_and_the_cli_refreshing_together_make_one_refresh() {
    let s = Setup::new("app-and-cli");
    s.plant_expired();
    s.fake.set_token_delay(Duration::from_millis(700));
    let engine = s.engine();
    let rt = runtime();
    let (app_result, cli) = std::thread::scope(|scope| {
        // The app's background refresher path.
        let app = scope.spawn(|| rt.block_on(engine.refresh_if_due("zoom", unix_now())));
        let cli = scope.spawn(|| s.cli_token());
        (app.join().unwrap(), cli.join().unwrap())
    });
    assert!(cli.status.success(), "{cli:?}");
    app_result.expect("the app's refresh worked or found the fresh token");
    assert_eq!(
        s.fake.refresh_count(),
        1,
        "one refresh between the app and the CLI"
    );
    assert_eq!(s.saved_refresh_token(), s.fake.current_refresh_token());
}

#[test]
fn rounds_of_concurrent_refreshes_never_lose_a_rotated_token() {
    let s = Setup::new("rounds");
    s.plant_expired();
    let engine = s.engine();
    let rt = runtime();
    for round in 1..=3 {
        // Expire what is saved, then race ten callers and a CLI process.
        let mut record = secret_tool::token_record(&s.test.keyring_service, "zoom").unwrap();
        record["expires_at"] = serde_json::json!(1);
        secret_tool::store_token(&s.test.keyring_service, "zoom", &record);
        std::thread::scope(|scope| {
            let cli = scope.spawn(|| s.cli_token());
            rt.block_on(async {
                let tasks: Vec<_> = (0..10)
                    .map(|_| {
                        let engine = engine.clone();
                        tokio::spawn(
                            async move { engine.token("zoom", unix_now()).await.map(|_| ()) },
                        )
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap().expect("token");
                }
            });
            assert!(cli.join().unwrap().status.success());
        });
        assert_eq!(
            s.fake.refresh_count(),
            round,
            "round {round}: one refresh per round"
        );
        assert_eq!(
            s.saved_refresh_token(),
            s.fake.current_refresh_token(),
            "round {round}"
        );
    }
}
