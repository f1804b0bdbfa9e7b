"""The other side of item 4 of scripts/bench.sh: one full PKCE sign-in with
google-auth-oauthlib's InstalledAppFlow.run_local_server, as a desktop Python
program does it, against the same loopback fake provider and the same scripted
browser ($BROWSER) that `authdeck connect` gets. Timed from outside, whole
process to whole process.

Usage: python installed_app_flow.py AUTHORIZE_URL TOKEN_URL CLIENT_ID CLIENT_SECRET SCOPE...
Prints "ok <scopes>" and exits 0 once it holds the tokens.
"""

import os
import sys

# oauthlib refuses plain-http endpoints (InsecureTransportError) unless this is
# set. The fake provider is http://127.0.0.1 only, so it has to be; nothing here
# ever leaves the machine.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# oauthlib raises if the granted scopes differ from the requested ones in order
# or spelling; real Google answers with long forms of `email`, so real programs
# set this too.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")

from google_auth_oauthlib.flow import InstalledAppFlow  # noqa: E402


class BodyCredentialsFlow(InstalledAppFlow):
    """InstalledAppFlow, with the client id and secret sent in the token request
    body (client_secret_post) instead of HTTP Basic. Google accepts both; the
    fake's Google family, like Authdeck's Google entry, uses the body. The only
    change is where two fields travel in the one token request."""

    def fetch_token(self, **kwargs):
        kwargs.setdefault("include_client_id", True)
        return super().fetch_token(**kwargs)


def main(argv):
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    authorize_url, token_url, client_id, client_secret = argv[1:5]
    scopes = argv[5:]
    client_config = {
        "installed": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": authorize_url,
            "token_uri": token_url,
            "redirect_uris": ["http://localhost"],
        }
    }
    flow = BodyCredentialsFlow.from_client_config(client_config, scopes=scopes)
    # The same loopback host Authdeck uses, any free port; webbrowser opens
    # $BROWSER (the scripted browser). access_type/prompt: what Authdeck sends
    # to Google too, so both get a refresh token.
    credentials = flow.run_local_server(
        host="127.0.0.1",
        port=0,
        open_browser=True,
        authorization_prompt_message=None,
        timeout_seconds=20,
        access_type="offline",
        prompt="consent",
    )
    if not credentials.token or not credentials.refresh_token:
        print("no token", file=sys.stderr)
        return 1
    print("ok", " ".join(credentials.scopes or []))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
