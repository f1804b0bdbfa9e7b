//! A fake OAuth 2.0 provider on 127.0.0.1 that plays any of the six families
//! (Google, Microsoft, GitHub, Dropbox, Zoom, Notion) with their wire quirks from
//! docs/providers.md: authorize (with PKCE and consent behaviours), token
//! (authorization_code, refresh_token with rotation, Zoom account_credentials,
//! client_credentials), revoke, and "who am I". Knobs change its behaviour while
//! it runs; every request is recorded for assertions.
//!
//! Endpoints (same paths for every family, so one server is enough per test):
//! - GET  /authorize (Notion: plain-http redirect URIs only for `localhost`)
//! - POST /token
//! - revoke: Google POST /revoke (client authentication optional, a knob);
//!   GitHub DELETE /applications/{client_id}/grant (the whole grant) and
//!   DELETE /applications/{client_id}/token (that one access token only);
//!   Dropbox POST /2/auth/token/revoke; Zoom POST /oauth/revoke; Notion POST /v1/oauth/revoke;
//!   Microsoft none. GitHub, Dropbox and Notion refuse an expired or revoked
//!   access token there and revoke nothing.
//! - userinfo: Google GET /userinfo; GitHub GET /user; Microsoft GET /me;
//!   Dropbox POST /2/users/get_current_account; Zoom GET /users/me; Notion none
//!   (the person comes in the token response)
//! - GET /.well-known/openid-configuration: a discovery document for this server

mod device;
mod family;
mod http;
mod revoke;
mod state;
mod token;
mod wire;

pub use device::DeviceOutcome;
pub use family::{Consent, Family};
pub use http::Reply;
pub use http::{Canned, Recorded};
pub use wire::{Account, TokenError};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::Digest;

use state::{handle, lock, State};

/// A token pair the fake knows, made without going through authorize (for tests
/// that plant a stored token and then refresh or revoke it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minted {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

pub struct FakeProvider {
    family: Family,
    base_url: String,
    /// Shared with the request threads; a std Mutex because no lock is held across
    /// an await or a sleep.
    state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeProvider {
    /// Starts a server on `127.0.0.1:<free port>` playing `family`, with the
    /// family's defaults: client id `test-<id>-client`, secret `test-<id>-secret`
    /// (none for Microsoft and Dropbox: public PKCE clients), consent Approve.
    pub fn start(family: Family) -> FakeProvider {
        let server = tiny_http::Server::http("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("fake provider cannot bind 127.0.0.1:0: {e}"));
        let address = server
            .server_addr()
            .to_ip()
            .unwrap_or_else(|| panic!("fake provider has no IP address"));
        let server = Arc::new(server);
        let state = Arc::new(Mutex::new(State {
            family,
            client_id: format!("test-{}-client", family.id()),
            client_secret: family.default_client_secret(),
            zoom_account_id: "test-zoom-account".into(),
            require_pkce: family.expects_pkce(),
            consent: Consent::Approve,
            issuer: None,
            registered_redirect_uris: Vec::new(),
            access_token_lifetime: family.default_access_token_lifetime(),
            token_delay: Duration::ZERO,
            token_failure: None,
            lose_token_responses: 0,
            revoke_fails: false,
            device: Default::default(),
            revoke_client_auth: false,
            account: Account::default_for(family),
            withheld_scopes: Vec::new(),
            pat_expiration: None,
            codes: Vec::new(),
            access: Vec::new(),
            refresh: Vec::new(),
            requests: Vec::new(),
            authorize_queries: Vec::new(),
            refresh_count: 0,
            next_grant: 1,
        }));
        let acceptor = {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let state = Arc::clone(&state);
                    // One thread per request: a slow token answer must not hold up the others.
                    std::thread::spawn(move || handle(&state, request));
                }
            })
        };
        FakeProvider {
            family,
            base_url: format!("http://{address}"),
            state,
            server,
            acceptor: Some(acceptor),
        }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn authorize_url(&self) -> String {
        self.url("/authorize")
    }

    pub fn token_url(&self) -> String {
        self.url("/token")
    }

    /// The revoke URL as the catalog writes it (GitHub keeps `{client_id}`; its
    /// grant endpoint, `/applications/{client_id}/grant`).
    pub fn revoke_url(&self) -> Option<String> {
        self.family
            .revoke_path("{client_id}")
            .map(|path| self.url(&path))
    }

    pub fn userinfo_url(&self) -> Option<String> {
        self.family.userinfo_path().map(|path| self.url(path))
    }

    /// The providers.toml table that points the built-in `service_id` at this server.
    pub fn providers_toml(&self, service_id: &str) -> String {
        // Notion's real authorize URL carries ?owner=user; the app must keep it.
        let authorize = match self.family {
            Family::Notion => format!("{}?owner=user", self.authorize_url()),
            _ => self.authorize_url(),
        };
        let mut toml = format!(
            "[{service_id}]\nauthorize_url = \"{authorize}\"\ntoken_url = \"{}\"\n",
            self.token_url()
        );
        if let Some(revoke) = self.revoke_url() {
            toml.push_str(&format!("revoke_url = \"{revoke}\"\n"));
        }
        if let Some(userinfo) = self.userinfo_url() {
            toml.push_str(&format!("userinfo_url = \"{userinfo}\"\n"));
        }
        // Always pointed here, so no test can reach the real device endpoint.
        if self.family.has_device_flow() {
            toml.push_str(&format!(
                "device_authorization_url = \"{}\"\n",
                self.url("/device/code")
            ));
        }
        toml
    }

    /// The environment variables that give the app this fake's client credentials
    /// (the secret only when the client has one).
    pub fn credentials_env(&self) -> Vec<(String, String)> {
        let (id_var, secret_var) = match self.family {
            Family::Google => ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
            Family::Microsoft => ("MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET"),
            Family::GitHub => ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
            Family::Dropbox => ("DROPBOX_APP_KEY", "DROPBOX_APP_SECRET"),
            Family::Zoom => ("ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"),
            Family::Notion => ("NOTION_CLIENT_ID", "NOTION_CLIENT_SECRET"),
        };
        let state = self.lock();
        let mut env = vec![(id_var.to_string(), state.client_id.clone())];
        if let Some(secret) = &state.client_secret {
            env.push((secret_var.to_string(), secret.clone()));
        }
        env
    }

    // ----- knobs -----

    pub fn client_id(&self) -> String {
        self.lock().client_id.clone()
    }

    pub fn client_secret(&self) -> Option<String> {
        self.lock().client_secret.clone()
    }

    pub fn set_client_id(&self, id: &str) {
        self.lock().client_id = id.to_string();
    }

    /// None = a public client (Microsoft then rejects any secret sent).
    pub fn set_client_secret(&self, secret: Option<&str>) {
        self.lock().client_secret = secret.map(str::to_string);
    }

    pub fn zoom_account_id(&self) -> String {
        self.lock().zoom_account_id.clone()
    }

    pub fn set_consent(&self, consent: Consent) {
        self.lock().consent = consent;
    }

    /// Adds `iss=<issuer>` to successful callbacks (RFC 9207).
    pub fn set_issuer(&self, issuer: Option<&str>) {
        self.lock().issuer = issuer.map(str::to_string);
    }

    /// When not empty, authorize accepts only these redirect URIs, byte for byte
    /// (Dropbox's exact-match rule).
    pub fn set_registered_redirect_uris(&self, uris: &[&str]) {
        self.lock().registered_redirect_uris = uris.iter().map(|u| u.to_string()).collect();
    }

    /// Whether authorize insists on code_challenge + S256 (default: all but Notion).
    pub fn set_require_pkce(&self, required: bool) {
        self.lock().require_pkce = required;
    }

    /// Seconds new access tokens live (`expires_in`); None = no expiry sent.
    /// For GitHub, Some turns the fake into a GitHub App: expiring tokens with
    /// rotating refresh tokens.
    pub fn set_access_token_lifetime(&self, secs: Option<u64>) {
        self.lock().access_token_lifetime = secs;
    }

    /// Delay every token endpoint answer (a slow provider).
    pub fn set_token_delay(&self, delay: Duration) {
        self.lock().token_delay = delay;
    }

    /// Answer token requests with this instead (None = work normally).
    /// The next `n` token requests are processed (a refresh token rotates) but
    /// never answered: the response is lost on the way back.
    pub fn lose_token_responses(&self, n: usize) {
        self.lock().lose_token_responses = n;
    }

    pub fn set_token_failure(&self, failure: Option<Canned>) {
        self.lock().token_failure = failure;
    }

    /// How the device flow goes: interval and lifetime (seconds) of the codes,
    /// and what the person does.
    pub fn set_device(&self, interval: u64, expires_in: u64, outcome: DeviceOutcome) {
        let mut state = self.lock();
        state.device.interval = interval;
        state.device.expires_in = expires_in;
        state.device.outcome = outcome;
    }

    /// Answer slow_down to the next `n` polls, whatever their pace.
    pub fn device_slow_downs(&self, n: usize) {
        self.lock().device.slow_downs = n;
    }

    /// The time between the polls for the newest device code.
    pub fn device_poll_gaps(&self) -> Vec<Duration> {
        self.lock().device_poll_gaps()
    }

    /// Make every revoke endpoint answer 500.
    pub fn fail_revoke(&self, fail: bool) {
        self.lock().revoke_fails = fail;
    }

    /// RFC 7009 §2.1 at the Google-family /revoke (what custom and
    /// OpenID-discovered services use in tests): when on, the client must
    /// authenticate as at the token endpoint, by HTTP Basic or client_id +
    /// client_secret in the form body (a confidential client), or by client_id
    /// in the form body (a public client: no secret set). Without any client
    /// identification: 400 invalid_request "no client authentication mechanism
    /// provided"; with wrong credentials: 401 invalid_client "client
    /// authentication failed". Either way nothing is revoked. Default off.
    pub fn require_revoke_client_auth(&self, required: bool) {
        self.lock().revoke_client_auth = required;
    }

    pub fn account(&self) -> Account {
        self.lock().account.clone()
    }

    /// Who the person is (userinfo, Notion's owner.user, id_token).
    pub fn set_account(&self, account: Account) {
        self.lock().account = account;
    }

    /// The person unticks these permissions on the consent page: codes from
    /// now on grant what was asked for without them, and say so in the
    /// token response's `scope`.
    pub fn withhold_scopes(&self, scopes: &[&str]) {
        self.lock().withheld_scopes = scopes.iter().map(|s| s.to_string()).collect();
    }

    /// Userinfo answers carry `github-authentication-token-expiration` with
    /// this text, as GitHub's do for an expiring personal access token.
    pub fn set_pat_expiration(&self, text: Option<&str>) {
        self.lock().pat_expiration = text.map(str::to_owned);
    }

    /// A person with this email (and login, the part before `@`): who the
    /// next sign-in is.
    pub fn sign_in_as(&self, email: &str) {
        let login = email.split('@').next().unwrap_or(email).to_owned();
        self.set_account(Account {
            login,
            email: email.to_owned(),
            name: email.to_owned(),
        });
    }

    /// Every access token issued so far is now expired.
    pub fn expire_all_access_tokens(&self) {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        for token in &mut self.lock().access {
            token.expires_at = Some(past);
        }
    }

    /// Issues a token pair without the authorize step (the refresh token is
    /// always included).
    pub fn mint_tokens(&self, scopes: &[&str]) -> Minted {
        let mut state = self.lock();
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let client_id = state.client_id.clone();
        let grant = state.new_grant();
        let lifetime = state.access_token_lifetime;
        let access_token = state.issue_access(grant, lifetime);
        let refresh_token = state.issue_refresh(grant, &client_id, &scopes);
        Minted {
            access_token,
            refresh_token: Some(refresh_token),
        }
    }

    // ----- observation -----

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Requests whose path ends with `path_suffix`.
    pub fn count(&self, path_suffix: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path.ends_with(path_suffix))
            .count()
    }

    pub fn authorize_count(&self) -> usize {
        self.requests_to("/authorize").len()
    }

    /// Requests to the token endpoint (exactly /token: GitHub's single-token
    /// revoke path also ends in /token).
    pub fn token_requests(&self) -> Vec<Recorded> {
        self.requests_to("/token")
    }

    /// Requests to the catalog's revoke endpoint (GitHub: /grant only).
    pub fn revoke_requests(&self) -> Vec<Recorded> {
        let state = self.lock();
        match state.family.revoke_path(&state.client_id) {
            Some(path) => state
                .requests
                .iter()
                .filter(|r| r.path == path)
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    pub fn userinfo_requests(&self) -> Vec<Recorded> {
        match self.family.userinfo_path() {
            Some(path) => self.requests_to(path),
            None => Vec::new(),
        }
    }

    fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Successful refresh_token grants so far.
    pub fn refresh_count(&self) -> usize {
        self.lock().refresh_count
    }

    pub fn last_authorize_query(&self) -> Option<BTreeMap<String, String>> {
        self.lock().authorize_queries.last().cloned()
    }

    /// Access tokens that would be accepted right now.
    pub fn valid_access_tokens(&self) -> Vec<String> {
        let now = Instant::now();
        self.lock()
            .access
            .iter()
            .filter(|t| t.is_valid(now))
            .map(|t| t.token.clone())
            .collect()
    }

    /// The newest refresh token that still works.
    pub fn current_refresh_token(&self) -> Option<String> {
        self.lock()
            .refresh
            .iter()
            .rev()
            .find(|t| t.alive)
            .map(|t| t.token.clone())
    }

    /// Every refresh token that still works.
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        self.lock()
            .refresh
            .iter()
            .filter(|t| t.alive)
            .map(|t| t.token.clone())
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl std::fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeProvider")
            .field("family", &self.family)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// PKCE S256: BASE64URL(SHA256(verifier)) without padding.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}
