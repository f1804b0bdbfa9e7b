//! Why a sign-in attempt ended without a code, or why the listener could not
//! start — each in words a person can act on.

use std::io;

/// Why the attempt ended without a code, or why the listener could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    #[error("{}", ports_in_use_message(.ports))]
    PortsInUse { ports: Vec<u16> },

    #[error(
        "Authdeck could not open a port on this computer to receive the sign-in from your \
         browser. Check that no security software blocks local connections, then try again."
    )]
    Bind {
        #[source]
        source: io::Error,
    },

    #[error(
        "The sign-in settings for this service have an unusable redirect path \"{path}\". \
         It must start with / and contain no spaces, ?, # or %. Fix redirect_path in \
         providers.toml and try again."
    )]
    InvalidPath { path: String },

    #[error(
        "You chose not to allow access, so nothing was connected. \
         Connect again if you change your mind."
    )]
    Denied,

    #[error("{}", provider_message(.error, .description.as_deref()))]
    Provider {
        error: String,
        description: Option<String>,
    },

    #[error(
        "The sign-in response came back without an authorization code, so nothing was \
         saved. Start again from Authdeck."
    )]
    MissingCode,

    #[error(
        "The sign-in response was malformed (a value was repeated or contained characters \
         a real response never has), so nothing was saved. Start again from Authdeck."
    )]
    MalformedCallback,

    #[error(
        "The sign-in response came from \"{got}\", not from \"{expected}\" where Authdeck \
         sent you, so it was ignored and nothing was saved. Start again from Authdeck."
    )]
    IssuerMismatch { expected: String, got: String },

    #[error(
        "Sign-in timed out: nothing came back from the browser. Start again and finish \
         signing in within the time limit."
    )]
    TimedOut,

    #[error("Sign-in was cancelled, so nothing was saved. Connect again when you are ready.")]
    Cancelled,

    #[error(
        "Authdeck stopped listening for the browser because of a problem on this computer. \
         Start again from Authdeck."
    )]
    Listener {
        #[source]
        source: io::Error,
    },
}

fn ports_in_use_message(ports: &[u16]) -> String {
    match ports {
        [port] => format!(
            "Authdeck could not listen on this computer's port {port} (in use by another \
             program). Close the program using it and try again."
        ),
        _ => {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!(
                "Authdeck could not listen on this computer's ports {} (all in use by other \
                 programs). Close the programs using them and try again.",
                list.join(", ")
            )
        }
    }
}

fn provider_message(error: &str, description: Option<&str>) -> String {
    let said = match description {
        Some(description) => format!("{description} ({error})"),
        None => error.to_owned(),
    };
    format!(
        "The service did not complete the sign-in. It said: {said}. Start again; if it \
         keeps happening, check this service's setup in Authdeck."
    )
}
