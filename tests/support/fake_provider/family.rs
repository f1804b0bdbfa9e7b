//! The six provider families the fake can play, and what the person does on the
//! authorize page.

/// Which provider the fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Google,
    Microsoft,
    GitHub,
    Dropbox,
    Zoom,
    Notion,
}

impl Family {
    /// In the catalog's order.
    pub const ALL: [Family; 6] = [
        Family::Google,
        Family::Dropbox,
        Family::Zoom,
        Family::Notion,
        Family::GitHub,
        Family::Microsoft,
    ];

    /// The built-in service id.
    pub fn id(self) -> &'static str {
        match self {
            Family::Google => "google",
            Family::Microsoft => "microsoft",
            Family::GitHub => "github",
            Family::Dropbox => "dropbox",
            Family::Zoom => "zoom",
            Family::Notion => "notion",
        }
    }

    pub fn from_id(id: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Notion does not support PKCE; everyone else gets S256 from the app.
    pub(super) fn expects_pkce(self) -> bool {
        !matches!(self, Family::Notion)
    }

    pub(super) fn default_client_secret(self) -> Option<String> {
        match self {
            // A public client: sending any secret fails (AADSTS700025).
            Family::Microsoft => None,
            // PKCE app: no secret needed.
            Family::Dropbox => None,
            _ => Some(format!("test-{}-secret", self.id())),
        }
    }

    pub(super) fn default_access_token_lifetime(self) -> Option<u64> {
        match self {
            Family::Google | Family::Microsoft | Family::Zoom => Some(3599),
            Family::Dropbox => Some(14400),
            // GitHub OAuth App tokens never expire; Notion's lifetime is undocumented.
            Family::GitHub | Family::Notion => None,
        }
    }

    pub(super) fn token_prefix(self) -> (&'static str, &'static str) {
        match self {
            Family::Google => ("ya29.", "1//"),
            Family::Microsoft => ("eyJ0eXAiOiJKV1Qi.", "0.AXoA"),
            Family::GitHub => ("gho_", "ghr_"),
            Family::Dropbox => ("sl.", "rt."),
            Family::Zoom => ("eyJzdiI6IjAwMDAwMSJ9.", "eyJzdiI6IjAwMDAwMiJ9."),
            Family::Notion => ("ntn_", "nrt_"),
        }
    }

    /// The revoke endpoint the catalog uses. For GitHub that is the grant
    /// endpoint, which ends every token of the grant; GitHub's single-token
    /// endpoint is `github_token_revoke_path`.
    pub(super) fn revoke_path(self, client_id: &str) -> Option<String> {
        match self {
            Family::Google => Some("/revoke".into()),
            Family::GitHub => Some(format!("/applications/{client_id}/grant")),
            Family::Dropbox => Some("/2/auth/token/revoke".into()),
            Family::Zoom => Some("/oauth/revoke".into()),
            Family::Notion => Some("/v1/oauth/revoke".into()),
            Family::Microsoft => None,
        }
    }

    /// GitHub's `DELETE /applications/{client_id}/token`: it ends only the one
    /// access token sent, not the grant's refresh tokens.
    pub(super) fn github_token_revoke_path(client_id: &str) -> String {
        format!("/applications/{client_id}/token")
    }

    /// GitHub, Dropbox and Notion check the access token sent to their revoke
    /// endpoint like any API call: an expired or revoked one is refused, and
    /// nothing is revoked (the refresh token lives on).
    pub(super) fn revokes_with_live_access_token(self) -> bool {
        matches!(self, Family::GitHub | Family::Dropbox | Family::Notion)
    }

    /// GitHub (JSON `access_token`) and Dropbox (`Authorization: Bearer`) take
    /// only an access token at their revoke endpoint, never a refresh token.
    pub(super) fn revokes_only_access_tokens(self) -> bool {
        matches!(self, Family::GitHub | Family::Dropbox)
    }

    /// GitHub, Google and Microsoft offer sign-in with a code (RFC 8628).
    pub fn has_device_flow(self) -> bool {
        matches!(self, Family::GitHub | Family::Google | Family::Microsoft)
    }

    pub(super) fn userinfo_path(self) -> Option<&'static str> {
        match self {
            Family::Google => Some("/userinfo"),
            Family::GitHub => Some("/user"),
            Family::Microsoft => Some("/me"),
            Family::Dropbox => Some("/2/users/get_current_account"),
            Family::Zoom => Some("/users/me"),
            Family::Notion => None,
        }
    }
}

/// What "the person" does on the authorize page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Clicks Allow: 302 to redirect_uri with code and the same state.
    Approve,
    /// Clicks Deny: 302 with error=access_denied and the same state.
    Deny,
    /// A forged callback: 302 with a code but a different state.
    WrongState,
    /// Walks away: a 200 page that never redirects.
    Ignore,
}
