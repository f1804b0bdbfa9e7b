//! The six services Authdeck ships with, as data.
//!
//! Every fact here is written up, with its source, in docs/providers.md (one
//! section per service). A fact the services do not document carries an
//! `UNCONFIRMED` comment: it is believed, not proven, and lives here so it can
//! change without touching the flow code.
//!
//! Wire quirks that every provider can share are rules of the flow, not fields:
//! the token request always sends `Accept: application/json` (GitHub answers
//! form-encoded otherwise); a 200 without `access_token` is an error (GitHub);
//! granted scopes are split on spaces and commas (GitHub, Zoom); `expires_in`
//! may be a number or a string (Microsoft) and missing means "no expiry"; a
//! refresh response's new refresh token replaces the old one at once
//! (Microsoft, Zoom, Notion and GitHub Apps rotate; Zoom and GitHub Apps kill
//! the old one); `redirect_uri` goes in the token request exactly as it went in
//! the authorize URL (Notion). They are listed again next to each service below
//! so this file stays the one place that tells what each service does.

use crate::provider::{
    BodyFormat, Placeholder, Provider, RedirectHost, RevokeStyle, TokenAuth, UserinfoStyle,
    ValueFormat,
};

/// Ports registered by the user for services that need an exact redirect URI.
/// Three so a second Authdeck (or another tool on 53682) does not block a sign-in.
const FIXED_PORTS: [u16; 3] = [53682, 53683, 53684];

fn text(value: &str) -> String {
    value.to_string()
}

fn list(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn pairs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The six built-in services, in the order the UI shows them.
pub fn all() -> Vec<Provider> {
    vec![google(), dropbox(), zoom(), notion(), github(), microsoft()]
}

fn google() -> Provider {
    Provider {
        color: text("#4285F4"),
        monogram: text("G"),
        console_url: Some(text("https://console.cloud.google.com/apis/credentials")),
        // Any loopback port (`http://127.0.0.1:PORT`). Device grant: limited scopes.
        authorize_url: Some(text("https://accounts.google.com/o/oauth2/v2/auth")),
        token_url: Some(text("https://oauth2.googleapis.com/token")),
        revoke_url: Some(text("https://oauth2.googleapis.com/revoke")),
        revoke_style: RevokeStyle::FormToken,
        // Needs the `openid email` scopes below.
        userinfo_url: Some(text("https://openidconnect.googleapis.com/v1/userinfo")),
        userinfo_style: UserinfoStyle::GetBearer,
        account_fields: list(&["email", "name", "sub"]),
        scopes: list(&[
            "openid",
            "email",
            "https://www.googleapis.com/auth/drive.readonly",
            "https://www.googleapis.com/auth/documents.readonly",
        ]),
        scope_labels: pairs(&[
            ("openid", "Sign-in"),
            ("email", "Email address"),
            ("profile", "Name and picture"),
            // Google answers with these long forms of `email` and `profile`.
            (
                "https://www.googleapis.com/auth/userinfo.email",
                "Email address",
            ),
            (
                "https://www.googleapis.com/auth/userinfo.profile",
                "Name and picture",
            ),
            (
                "https://www.googleapis.com/auth/drive.readonly",
                "Drive (read only)",
            ),
            (
                "https://www.googleapis.com/auth/documents.readonly",
                "Docs (read only)",
            ),
        ]),
        client_id_env: Some(text("GOOGLE_CLIENT_ID")),
        client_secret_env: Some(text("GOOGLE_CLIENT_SECRET")),
        api_key_env: Some(text("GOOGLE_API_KEY")),
        api_key_label: Some(text("Google API key (public data only)")),
        // Google requires the secret even for desktop clients; it says the
        // secret of an installed app is "not treated as a secret", so a
        // distributor's preset may carry it (docs/providers.md#google).
        requires_client_secret: true,
        secret_may_ship: true,
        // A "Desktop app" client has no redirect setting: any loopback port works.
        registers_redirect: false,
        redirect_host: RedirectHost::Loopback,
        token_auth: TokenAuth::Post,
        // Without prompt=consent Google sends a refresh token only on the first
        // consent. Refresh tokens die after 6 months unused, after 7 days for
        // apps in "Testing" mode, and the 101st for one account kills the oldest.
        // Access tokens last about 1 hour.
        // include_granted_scopes: asking for one more permission keeps the
        // ones granted before (incremental authorization).
        extra_authorize_params: pairs(&[
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("include_granted_scopes", "true"),
        ]),
        // Google adds `iss` to the callback (RFC 9207) and publishes discovery.
        issuer: Some(text("https://accounts.google.com")),
        revoke_note: text("Google will be told to cancel Authdeck's access."),
        setup_steps: list(&[
            "Open the Google Cloud console (console.cloud.google.com) and pick a project at the top, or click New project.",
            "Go to Google Auth Platform (APIs & Services > OAuth consent screen). Under Branding, give the app a name and your email. Under Audience, choose External, and add your own Google address under Test users.",
            "Under APIs & Services > Library, enable the Google Drive API and the Google Docs API.",
            "Go to Clients (APIs & Services > Credentials), click Create client (Create credentials > OAuth client ID), choose the application type Desktop app, name it Authdeck, and click Create. Desktop apps need no redirect address.",
            "Copy the Client ID and the Client secret into the fields below.",
        ]),
        setup_warning: Some(text(
            "While the app's publishing status is Testing, Google ends its sign-ins after 7 days. Click Publish app under Audience to keep them.",
        )),
        client_id_format: Some(ValueFormat::EndsWith(text(".apps.googleusercontent.com"))),
        client_secret_format: Some(ValueFormat::StartsWith(text("GOCSPX-"))),
        token_env: text("GOOGLE_OAUTH_ACCESS_TOKEN"),
        // Device authorization (RFC 8628): docs/providers.md#google.
        device_authorization_url: Some(text("https://oauth2.googleapis.com/device/code")),
        ..builtin("google", "Google")
    }
}

fn dropbox() -> Provider {
    Provider {
        color: text("#0061FF"),
        monogram: text("D"),
        console_url: Some(text("https://www.dropbox.com/developers/apps")),
        // No device grant.
        authorize_url: Some(text("https://www.dropbox.com/oauth2/authorize")),
        token_url: Some(text("https://api.dropboxapi.com/oauth2/token")),
        revoke_url: Some(text("https://api.dropboxapi.com/2/auth/token/revoke")),
        revoke_style: RevokeStyle::BearerNoBody,
        // An RPC endpoint called with POST and no body at all.
        userinfo_url: Some(text(
            "https://api.dropboxapi.com/2/users/get_current_account",
        )),
        userinfo_style: UserinfoStyle::PostBearerNoBody,
        account_fields: list(&["email", "name.display_name"]),
        // The scopes are chosen in the app's console; sending none grants those.
        scopes: Vec::new(),
        scope_labels: pairs(&[
            ("account_info.read", "Account info (read)"),
            ("files.metadata.read", "File list (read)"),
            ("files.content.read", "File contents (read)"),
            ("sharing.read", "Sharing (read)"),
        ]),
        client_id_env: Some(text("DROPBOX_APP_KEY")),
        client_secret_env: Some(text("DROPBOX_APP_SECRET")),
        api_key_env: Some(text("DROPBOX_ACCESS_TOKEN")),
        api_key_label: Some(text("Dropbox access token (short-lived, about 4 hours)")),
        // Not needed when PKCE is used.
        requires_client_secret: false,
        redirect_host: RedirectHost::Loopback,
        // Dropbox matches the redirect URI exactly, even for localhost, so the
        // user registers each of these ports.
        redirect_ports: FIXED_PORTS.to_vec(),
        token_auth: TokenAuth::Post,
        // Access tokens last about 4 hours; refresh tokens need this parameter.
        // UNCONFIRMED: refresh tokens are believed not to rotate (docs/providers.md#dropbox).
        extra_authorize_params: pairs(&[("token_access_type", "offline")]),
        revoke_note: text("Dropbox will be told to cancel Authdeck's access."),
        setup_steps: list(&[
            "Open the Dropbox App Console (dropbox.com/developers/apps) and click Create app.",
            "Choose Scoped access and the access your app needs (App folder or Full Dropbox), give it a name, and click Create app.",
            "On the Permissions tab, tick what Authdeck may do (for example files.metadata.read and files.content.read) and click Submit.",
            "On the Settings tab, under OAuth 2 > Redirect URIs, add each address shown below, one at a time.",
            "Copy the App key into the Client ID field. The App secret is not needed.",
        ]),
        client_id_format: Some(ValueFormat::Word { min: 15, max: 15 }),
        token_env: text("DROPBOX_ACCESS_TOKEN"),
        ..builtin("dropbox", "Dropbox")
    }
}

fn zoom() -> Provider {
    Provider {
        color: text("#0B5CFF"),
        monogram: text("Z"),
        console_url: Some(text("https://marketplace.zoom.us/develop/create")),
        // The redirect port is ignored. Device grant: private apps only.
        authorize_url: Some(text("https://zoom.us/oauth/authorize")),
        // Also the Server-to-Server endpoint: POST ?grant_type=account_credentials
        // &account_id=ID with Basic id:secret; 1 hour token and no refresh token,
        // so a new one is fetched when it expires.
        token_url: Some(text("https://zoom.us/oauth/token")),
        revoke_url: Some(text("https://zoom.us/oauth/revoke")),
        // RFC 7009: authenticated like the token endpoint (Basic, below).
        revoke_style: RevokeStyle::Rfc7009,
        userinfo_url: Some(text("https://api.zoom.us/v2/users/me")),
        userinfo_style: UserinfoStyle::GetBearer,
        account_fields: list(&["email", "display_name"]),
        // App-defined (e.g. `recording:read`): sending none grants the app's scopes.
        scopes: Vec::new(),
        scope_labels: pairs(&[
            ("recording:read", "Recordings (read)"),
            ("meeting:read", "Meetings (read)"),
            ("user:read", "Profile (read)"),
        ]),
        client_id_env: Some(text("ZOOM_CLIENT_ID")),
        client_secret_env: Some(text("ZOOM_CLIENT_SECRET")),
        account_id_env: Some(text("ZOOM_ACCOUNT_ID")),
        // Confidential apps authenticate with Basic; only the app's separate
        // public-client ID signs in without a secret (docs/providers.md#zoom).
        requires_client_secret: false,

        redirect_host: RedirectHost::Loopback,
        token_auth: TokenAuth::Basic,
        // Access tokens last 1 hour; refresh tokens rotate and the old one dies at
        // once (a stale one answers `Invalid Token!`).
        revoke_note: text("Zoom will be told to cancel Authdeck's access."),
        setup_steps: list(&[
            "Open the Zoom App Marketplace (marketplace.zoom.us), click Develop > Build App, and choose General App.",
            "Under Basic Information, choose User-managed.",
            "Under OAuth Information, enter the redirect address shown below as the OAuth Redirect URL, and add it to the OAuth allow list.",
            "Under Scopes, add what Authdeck may do (for example recording:read).",
            "Under App Credentials, copy the Client ID and the Client Secret into the fields below. Zoom also shows a separate public-client ID: only that one signs in without a client secret.",
        ]),
        client_id_format: Some(ValueFormat::Word { min: 15, max: 40 }),
        token_env: text("ZOOM_ACCESS_TOKEN"),
        ..builtin("zoom", "Zoom")
    }
}

fn notion() -> Provider {
    Provider {
        color: text("#000000"),
        monogram: text("N"),
        console_url: Some(text("https://www.notion.so/my-integrations")),
        // No device grant. Notion documents this URL with `?owner=user`; it lives in
        // extra_authorize_params instead so it is sent exactly once.
        authorize_url: Some(text("https://api.notion.com/v1/oauth/authorize")),
        token_url: Some(text("https://api.notion.com/v1/oauth/token")),
        revoke_url: Some(text("https://api.notion.com/v1/oauth/revoke")),
        revoke_style: RevokeStyle::JsonTokenBasic,
        // Notion has no "who am I" call for this: the token response carries
        // owner.user (name, person.email) and workspace_name.
        userinfo_url: None,
        userinfo_style: UserinfoStyle::FromTokenResponse,
        account_fields: list(&[
            "owner.user.person.email",
            "owner.user.name",
            "workspace_name",
        ]),
        // None: the person picks pages on Notion's consent screen.
        scopes: Vec::new(),
        client_id_env: Some(text("NOTION_CLIENT_ID")),
        client_secret_env: Some(text("NOTION_CLIENT_SECRET")),
        api_key_env: Some(text("NOTION_API_KEY")),
        api_key_label: Some(text("Notion internal integration secret")),
        requires_client_secret: true,
        // Notion accepts plain-http redirect addresses only for `localhost`, not
        // for 127.0.0.1 (docs/providers.md#notion).
        redirect_host: RedirectHost::Localhost,
        // UNCONFIRMED: Notion does not document whether the port may differ from
        // the registered one, so the registered ports are used exactly.
        redirect_ports: FIXED_PORTS.to_vec(),
        token_auth: TokenAuth::Basic,
        token_request_format: BodyFormat::Json,
        // Notion rejects a code challenge: no PKCE.
        pkce: false,
        extra_authorize_params: pairs(&[("owner", "user")]),
        extra_headers: pairs(&[("Notion-Version", "2022-06-28")]),
        // Refresh tokens rotate on every refresh.
        // UNCONFIRMED: access token lifetime is not documented (docs/providers.md#notion), so
        // only what `expires_in` says is stored.
        revoke_note: text("Notion will be told to cancel Authdeck's access."),
        setup_steps: list(&[
            "Open Notion's integrations page (notion.so/my-integrations) and click New integration.",
            "Choose the type Public, fill in the name and the company details Notion asks for, and under Redirect URIs add each address shown below.",
            "Click Save, then copy the OAuth client ID and the OAuth client secret into the fields below.",
        ]),
        client_id_format: Some(ValueFormat::Guid),
        client_secret_format: Some(ValueFormat::StartsWith(text("secret_"))),
        token_env: text("NOTION_TOKEN"),
        ..builtin("notion", "Notion")
    }
}

fn github() -> Provider {
    Provider {
        color: text("#24292F"),
        monogram: text("GH"),
        console_url: Some(text("https://github.com/settings/developers")),
        // PKCE supported since 2025-07. The port may differ from the registered
        // one; host and path must match. Device grant: per app setting.
        authorize_url: Some(text("https://github.com/login/oauth/authorize")),
        // Answers form-encoded unless asked for JSON, reports errors as HTTP 200,
        // and returns granted scopes comma-separated: rules of the flow, see top.
        token_url: Some(text("https://github.com/login/oauth/access_token")),
        // The whole grant, not one token: with expiring tokens the refresh token
        // dies too. DELETE, Basic id:secret, JSON {"access_token": ...} (which
        // must still be valid); answers 204 (docs/providers.md#github).
        revoke_url: Some(text(
            "https://api.github.com/applications/{client_id}/grant",
        )),
        revoke_style: RevokeStyle::JsonAccessTokenBasicDelete,
        userinfo_url: Some(text("https://api.github.com/user")),
        userinfo_style: UserinfoStyle::GetBearer,
        account_fields: list(&["login"]),
        scopes: list(&["repo", "read:org"]),
        scope_labels: pairs(&[
            ("repo", "Repositories"),
            ("read:org", "Organizations (read)"),
            ("read:user", "Profile (read)"),
            ("user:email", "Email addresses"),
        ]),
        client_id_env: Some(text("GITHUB_CLIENT_ID")),
        client_secret_env: Some(text("GITHUB_CLIENT_SECRET")),
        api_key_env: Some(text("GITHUB_TOKEN")),
        api_key_label: Some(text("GitHub personal access token")),
        requires_client_secret: true,
        redirect_host: RedirectHost::Loopback,
        token_auth: TokenAuth::Post,
        // OAuth App tokens never expire (no `expires_in`) unless the app opted in
        // to expiring tokens; those, like GitHub App tokens, expire after 8 hours
        // and come with rotating refresh tokens that last 6 months.
        revoke_note: text("GitHub will be told to cancel Authdeck's access."),
        setup_steps: list(&[
            "Open GitHub's developer settings (github.com/settings/developers), choose OAuth Apps, and click New OAuth App.",
            "Name it Authdeck, enter any homepage (for example https://github.com), and enter the redirect address shown below as the Authorization callback URL. Click Register application.",
            "Click Generate a new client secret. GitHub shows it only once.",
            "Copy the Client ID and the new client secret into the fields below.",
        ]),
        client_id_format: Some(ValueFormat::Word { min: 20, max: 20 }),
        client_secret_format: Some(ValueFormat::Hex(40)),
        token_env: text("GITHUB_TOKEN"),
        // git over https with the token as the password.
        git_hosts: list(&["github.com"]),
        // Device authorization (RFC 8628): docs/providers.md#github.
        device_authorization_url: Some(text("https://github.com/login/device/code")),
        ..builtin("github", "GitHub")
    }
}

fn microsoft() -> Provider {
    Provider {
        color: text("#00A4EF"),
        monogram: text("M"),
        console_url: Some(text(
            "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps",
        )),
        authorize_url: Some(text(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        )),
        // Has sent `expires_in` as a string; errors carry error_codes, trace_id
        // and correlation_id beside error_description. Device grant: /devicecode.
        token_url: Some(text(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        )),
        // Microsoft has no revocation endpoint for this.
        revoke_url: None,
        revoke_style: RevokeStyle::None,
        userinfo_url: Some(text("https://graph.microsoft.com/v1.0/me")),
        userinfo_style: UserinfoStyle::GetBearer,
        account_fields: list(&["userPrincipalName", "mail"]),
        scopes: list(&[
            "openid",
            "profile",
            // The only way to get a refresh token. It rotates on each refresh and
            // the old one is NOT revoked. Access tokens last 60-90 minutes.
            "offline_access",
            "User.Read",
            // Not OnlineMeetings.Read: a work-or-school-only permission that makes
            // personal accounts on the `common` tenant fail to sign in
            // (docs/providers.md#microsoft shows how to add it back).
            "https://graph.microsoft.com/Files.Read",
        ]),
        scope_labels: pairs(&[
            ("openid", "Sign-in"),
            ("profile", "Name"),
            ("email", "Email address"),
            ("offline_access", "Stay signed in"),
            ("User.Read", "Profile (read)"),
            (
                "https://graph.microsoft.com/OnlineMeetings.Read",
                "Online meetings (read)",
            ),
            ("https://graph.microsoft.com/Files.Read", "Files (read)"),
        ]),
        client_id_env: Some(text("MICROSOFT_CLIENT_ID")),
        client_secret_env: Some(text("MICROSOFT_CLIENT_SECRET")),
        // A public client must send no secret (AADSTS700025); a secret is sent
        // only when the user configured one for a confidential app.
        requires_client_secret: false,
        // The port is ignored for `localhost`, which Entra registers most easily.
        redirect_host: RedirectHost::Localhost,
        token_auth: TokenAuth::Post,
        // The v2.0 issuer carries the tenant's id, which the `common` tenant does
        // not know in advance, so there is no issuer to check callbacks against.
        issuer: None,
        placeholders: vec![Placeholder {
            name: text("tenant"),
            env: Some(text("MICROSOFT_TENANT")),
            // Or `organizations`, `consumers`, or a tenant id or domain.
            default: text("common"),
        }],
        revoke_note: text(
            "Microsoft offers no way to cancel access from here. Authdeck will forget \
             the sign-in on this computer. To remove Authdeck's access as well: for a \
             personal account at account.microsoft.com, for a work or school account \
             in the My Apps portal (myapps.microsoft.com).",
        ),
        setup_steps: list(&[
            "Open the Microsoft Entra admin center (entra.microsoft.com), go to App registrations, and click New registration.",
            "Name it Authdeck and choose Accounts in any organizational directory and personal Microsoft accounts.",
            "Under Redirect URI, choose Public client/native (mobile & desktop) and enter the redirect address shown below. Click Register.",
            "On the app's Authentication page, check that the address is listed under Mobile and desktop applications, and set Allow public client flows to Yes.",
            "Copy the Application (client) ID from the Overview page into the Client ID field. No client secret is needed.",
        ]),
        client_id_format: Some(ValueFormat::Guid),
        client_secret_format: Some(ValueFormat::Contains(text("~"))),
        token_env: text("MICROSOFT_ACCESS_TOKEN"),
        // Device authorization (RFC 8628): docs/providers.md#microsoft.
        device_authorization_url: Some(text("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode")),
        ..builtin("microsoft", "Microsoft")
    }
}

fn builtin(id: &str, name: &str) -> Provider {
    Provider {
        builtin: true,
        ..Provider::new(id, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::check_endpoint;

    fn get(id: &str) -> Provider {
        all()
            .into_iter()
            .find(|p| p.id == id)
            .expect("built-in exists")
    }

    #[test]
    fn six_builtins_in_display_order() {
        let ids: Vec<String> = all().into_iter().map(|p| p.id).collect();
        assert_eq!(
            ids,
            ["google", "dropbox", "zoom", "notion", "github", "microsoft"]
        );
        assert!(all().iter().all(|p| p.builtin && !p.needs_discovery));
    }

    #[test]
    fn every_builtin_endpoint_is_https_and_every_service_has_a_console() {
        for p in all() {
            let endpoints = [
                &p.authorize_url,
                &p.token_url,
                &p.revoke_url,
                &p.userinfo_url,
            ];
            for url in endpoints.into_iter().flatten().chain(&p.issuer) {
                let url = check_endpoint(url, &["tenant", "client_id"])
                    .unwrap_or_else(|e| panic!("{}: {url} {e}", p.id));
                assert_eq!(url.scheme(), "https", "{}", p.id);
            }
            assert!(
                p.authorize_url.is_some() && p.token_url.is_some(),
                "{}",
                p.id
            );
            let console = p.console_url.as_deref().unwrap_or_default();
            assert!(console.starts_with("https://"), "{}", p.id);
            assert_eq!(
                p.revoke_url.is_some(),
                p.revoke_style != RevokeStyle::None,
                "{}",
                p.id
            );
            assert!((1..=2).contains(&p.monogram.chars().count()), "{}", p.id);
            assert!(
                p.client_id_env.is_some() && p.client_secret_env.is_some(),
                "{}",
                p.id
            );
        }
    }

    #[test]
    fn github_has_comma_free_scopes_and_revoke_template() {
        let github = get("github");
        assert_eq!(github.scopes, ["repo", "read:org"]);
        assert!(github.scopes.iter().all(|s| !s.contains([',', ' '])));
        let revoke = github.revoke_url.as_deref().expect("revoke url");
        let url = github.resolve_url(revoke, &|_| None, Some("Iv1.abc"));
        assert_eq!(url, "https://api.github.com/applications/Iv1.abc/grant");
        assert_eq!(github.revoke_style, RevokeStyle::JsonAccessTokenBasicDelete);
        assert_eq!(github.api_key_env.as_deref(), Some("GITHUB_TOKEN"));
        assert!(github.requires_client_secret && github.pkce);
        assert_eq!(github.scope_label("read:org"), "Organizations (read)");
    }

    #[test]
    fn microsoft_tenant_defaults_to_common_and_follows_env() {
        let ms = get("microsoft");
        let token = ms.token_url.as_deref().expect("token url");
        let common = ms.resolve_url(token, &|_| None, None);
        assert_eq!(
            common,
            "https://login.microsoftonline.com/common/oauth2/v2.0/token"
        );
        let env =
            |name: &str| (name == "MICROSOFT_TENANT").then(|| "contoso.onmicrosoft.com".into());
        let tenant = ms.resolve_url(token, &env, None);
        assert!(
            tenant.contains("/contoso.onmicrosoft.com/oauth2/"),
            "{tenant}"
        );
        let sneaky = ms.resolve_url(token, &|_| Some("a/../b?x".into()), None);
        assert!(sneaky.contains("/a%2F..%2Fb%3Fx/oauth2/"), "{sneaky}");
        let blank = ms.resolve_url(token, &|_| Some("  ".into()), None);
        assert_eq!(blank, common);
    }

    #[test]
    fn microsoft_cannot_revoke_and_says_where_to_remove_access() {
        let ms = get("microsoft");
        assert_eq!(
            (ms.revoke_url.as_deref(), ms.revoke_style),
            (None, RevokeStyle::None)
        );
        assert!(ms.revoke_note.contains("account.microsoft.com"));
        assert!(ms.revoke_note.contains("myapps.microsoft.com"));
        // Personal accounts on the common tenant cannot consent to work-only scopes.
        assert!(!ms.scopes.iter().any(|s| s.contains("OnlineMeetings")));
        assert!(!ms.requires_client_secret);
        assert_eq!(ms.redirect_host, RedirectHost::Localhost);
        assert!(ms.scopes.contains(&"offline_access".to_string()));
        assert_eq!(ms.scope_label("offline_access"), "Stay signed in");
        // Microsoft answers with the short form of the Graph scopes it granted.
        assert_eq!(ms.scope_label("Files.Read"), "Files (read)");
    }

    #[test]
    fn notion_sends_json_with_basic_auth_and_no_pkce() {
        let notion = get("notion");
        assert!(!notion.pkce);
        assert_eq!(notion.token_request_format, BodyFormat::Json);
        assert_eq!(notion.token_auth, TokenAuth::Basic);
        assert_eq!(notion.revoke_style, RevokeStyle::JsonTokenBasic);
        assert_eq!(notion.userinfo_style, UserinfoStyle::FromTokenResponse);
        assert!(notion
            .extra_headers
            .contains(&(text("Notion-Version"), text("2022-06-28"))));
        assert!(notion
            .extra_authorize_params
            .contains(&(text("owner"), text("user"))));
        assert!(!notion
            .authorize_url
            .clone()
            .unwrap_or_default()
            .contains('?'));
        assert_eq!(notion.redirect_host, RedirectHost::Localhost);
        assert_eq!(
            notion.redirect_addresses()[0],
            "http://localhost:53682/callback"
        );
    }

    #[test]
    fn exact_redirect_services_have_fixed_ports() {
        for p in all() {
            let fixed = matches!(p.id.as_str(), "dropbox" | "notion");
            assert_eq!(!p.redirect_ports.is_empty(), fixed, "{}", p.id);
            assert_eq!(p.redirect_path, "/callback");
        }
    }

    #[test]
    fn google_asks_for_offline_consent_and_checks_issuer() {
        let google = get("google");
        for param in [("access_type", "offline"), ("prompt", "consent")] {
            assert!(google
                .extra_authorize_params
                .contains(&(text(param.0), text(param.1))));
        }
        assert!(google.requires_client_secret);
        assert_eq!(
            google.issuer.as_deref(),
            Some("https://accounts.google.com")
        );
        assert_eq!(google.revoke_style, RevokeStyle::FormToken);
        let drive = "https://www.googleapis.com/auth/drive.readonly";
        assert_eq!(google.scope_label(drive), "Drive (read only)");
        let calendar = "https://www.googleapis.com/auth/calendar.readonly";
        assert_eq!(google.scope_label(calendar), "calendar.readonly");
    }

    #[test]
    fn dropbox_and_zoom_quirks_are_data() {
        let dropbox = get("dropbox");
        assert_eq!(dropbox.userinfo_style, UserinfoStyle::PostBearerNoBody);
        assert_eq!(dropbox.revoke_style, RevokeStyle::BearerNoBody);
        assert_eq!(dropbox.account_fields, ["email", "name.display_name"]);
        assert!(!dropbox.requires_client_secret);
        let zoom = get("zoom");
        assert_eq!(zoom.account_id_env.as_deref(), Some("ZOOM_ACCOUNT_ID"));
        assert_eq!(
            (zoom.token_auth, zoom.revoke_style),
            (TokenAuth::Basic, RevokeStyle::Rfc7009)
        );
    }
}
