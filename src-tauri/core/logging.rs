//! Where logs go, for both front ends: stderr. `AUTHDECK_LOG` (`debug`,
//! `trace`, …) sets the level of Authdeck's own crates only: libraries stay at
//! `warn`, because some of them log raw HTTP headers or D-Bus payloads at trace
//! level, and those carry tokens. Authdeck's own log lines never contain a secret.

/// Authdeck's crates, as tracing names their targets.
const OWN_CRATES: [&str; 3] = ["authdeck_core", "authdeck_app", "authdeck"];

/// Sets up logging once; a second call does nothing.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::new(directives(
        std::env::var("AUTHDECK_LOG").ok().as_deref(),
    ));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// `warn` plus the level for Authdeck's own crates, for a valid level;
/// anything else means the default.
pub fn directives(value: Option<&str>) -> String {
    let level = value
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| ["error", "warn", "info", "debug", "trace", "off"].contains(&v.as_str()));
    match level {
        Some(level) => {
            let own: Vec<String> = OWN_CRATES.iter().map(|c| format!("{c}={level}")).collect();
            format!("warn,{}", own.join(","))
        }
        None => "warn".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_level_never_opens_library_trace_logs() {
        assert_eq!(
            directives(Some("trace")),
            "warn,authdeck_core=trace,authdeck_app=trace,authdeck=trace"
        );
        assert_eq!(directives(Some("hyper=trace")), "warn");
        assert_eq!(directives(None), "warn");
    }
}
