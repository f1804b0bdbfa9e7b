//! One service pointed at one fake provider, with its own keyring service and
//! config dir: the fixture the CLI-level tests share.

use crate::cli::{authdeck, Output};
use crate::fake_provider::{FakeProvider, Family, Minted};
use crate::{require_test_session, secret_tool, TestEnv};
use std::time::Duration;

pub struct Scenario {
    pub fake: FakeProvider,
    pub test: TestEnv,
    pub id: &'static str,
    /// Added to every CLI run (e.g. `GITHUB_TOKEN`, `AUTHDECK_LOG`).
    pub extra_env: Vec<(String, String)>,
}

impl Scenario {
    pub fn new(family: Family, name: &str) -> Self {
        require_test_session();
        let fake = FakeProvider::start(family);
        let test = TestEnv::new(name);
        test.write_providers_toml(&fake.providers_toml(family.id()));
        Self {
            fake,
            test,
            id: family.id(),
            extra_env: Vec::new(),
        }
    }

    /// What every process of this scenario gets (the CLI, the window, the
    /// keeper): its keyring, config, browser and the fake's credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        self.test
            .app_env()
            .into_iter()
            .chain(self.fake.credentials_env())
            .chain(self.extra_env.clone())
            .collect()
    }

    /// The CLI as a process, with [`Scenario::env`].
    pub fn run(&self, args: &[&str]) -> Output {
        authdeck(args)
            .envs(self.env())
            .timeout(Duration::from_secs(40))
            .run()
    }

    pub fn connect(&self) -> Output {
        self.run(&["connect", self.id, "--timeout", "20"])
    }

    /// The token record as the Secret Service holds it.
    pub fn record(&self) -> Option<serde_json::Value> {
        secret_tool::token_record(&self.test.keyring_service, self.id)
    }

    /// This service's object in `status --json`.
    pub fn status(&self) -> serde_json::Value {
        let out = self.run(&["status", "--json"]);
        out.assert_success();
        out.json()
            .as_array()
            .and_then(|all| all.iter().find(|s| s["service"] == self.id).cloned())
            .expect("service in status")
    }

    /// Plants a token set the fake knows, expiring `expires_in` seconds from
    /// now (negative: already expired), and returns the planted record.
    pub fn plant(&self, expires_in: i64, scopes: &[&str]) -> (Minted, serde_json::Value) {
        self.plant_for("ada@example.com", expires_in, scopes)
    }

    /// [`Scenario::plant`] for a given account, as the service's only account.
    pub fn plant_for(
        &self,
        account: &str,
        expires_in: i64,
        scopes: &[&str],
    ) -> (Minted, serde_json::Value) {
        let minted = self.fake.mint_tokens(scopes);
        let record = secret_tool::token_record_json(
            &minted.access_token,
            minted.refresh_token.as_deref(),
            Some(expires_in),
            scopes,
            "oauth_pkce",
            Some(account),
        );
        secret_tool::store_token(&self.test.keyring_service, self.id, &record);
        (minted, record)
    }
}
