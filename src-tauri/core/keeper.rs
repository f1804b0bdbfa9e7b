//! The keeper: what `authdeck watch` does on each pass, without a window.
//!
//! For every account of every service it
//! - renews a token ahead of expiry (the same single-flight, rotation-safe
//!   path as `token`, under the same per-account lock, so it never races the
//!   window or a script);
//! - renews a connection not renewed for a day (at most daily), because
//!   services expire refresh tokens left unused (Microsoft after 90 days,
//!   Google's apps in Testing after 7);
//! - finds what needs the person (`findings`): a refused sign-in, a token that
//!   will end within a day with nothing to renew it (also an API key or personal
//!   token from the environment whose end the service reports, asked about at
//!   most daily), a service answering errors for an hour.
//!
//! A service that fails is left alone for a while (doubling, up to 30
//! minutes), so a network outage makes no storm of requests or notifications.
//! The caller shows the new findings and decides when the next pass runs.

mod findings;
#[cfg(test)]
mod tests;

pub use findings::{Cause, Finding, Findings, KeyCheck, FAILING_FOR_SECS};

use crate::accounts::Accounts;
use crate::error::Error;
use crate::store::StoreError;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A connection not renewed for this long is renewed, so the service does
/// not expire it for disuse.
pub const RENEW_UNUSED_AFTER_SECS: u64 = 24 * 3_600;
/// A token ending within this long with nothing to renew it is told.
pub const WARN_BEFORE_SECS: u64 = 24 * 3_600;
const BACKOFF_FIRST_SECS: u64 = 60;
const BACKOFF_MAX_SECS: u64 = 30 * 60;

/// The keeper's state across passes.
pub struct Keeper {
    accounts: Arc<Accounts>,
    findings: Findings,
    /// Per service: no attempt before this time, and the current step.
    backoff: BTreeMap<String, (u64, u64)>,
}

/// What a pass found.
#[derive(Debug, Default)]
pub struct Pass {
    /// New findings to tell the person about (each once).
    pub tell: Vec<Finding>,
    /// Accounts renewed in this pass (service, account).
    pub renewed: Vec<(String, String)>,
}

impl Keeper {
    pub fn new(accounts: Arc<Accounts>) -> Self {
        let findings = Findings::load(accounts.config_dir());
        Self {
            accounts,
            findings,
            backoff: BTreeMap::new(),
        }
    }

    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    /// One pass over every service. A keyring that cannot be read stops the
    /// pass (the caller waits and says so once); nothing else does.
    pub async fn pass(&mut self, now: u64) -> Result<Pass, StoreError> {
        let mut pass = Pass::default();
        let mut found = Vec::new();
        let mut looked_at = Vec::new();
        let ids = self.accounts.catalog().ids();
        for id in ids {
            if self.backoff.get(&id).is_some_and(|(until, _)| *until > now) {
                continue;
            }
            looked_at.push(id.clone());
            let mut failed = false;
            let records = match self.accounts.records_for_keeper(&id).await {
                Ok(records) => records,
                Err(Error::Keyring(e)) => return Err(e),
                Err(e) => {
                    tracing::debug!(service = %id, error = %e, "keeper could not read the service");
                    continue;
                }
            };
            if records.is_empty() {
                if let Some(finding) = self.check_api_key(&id, now).await {
                    found.push(finding);
                }
            }
            for record in records {
                let finding = |cause| Finding {
                    service: id.clone(),
                    key: record.key.clone(),
                    account: record.label.clone(),
                    cause,
                    noticed_at: now,
                };
                if record.needs_reconnect {
                    found.push(finding(Cause::NeedsReconnect));
                    continue;
                }
                let due = record.renewable && record.due_at.is_some_and(|at| at <= now);
                let unused = record.renewable
                    && now.saturating_sub(record.last_renewed) >= RENEW_UNUSED_AFTER_SECS;
                if due || unused {
                    match self.accounts.renew_record(&id, &record.key, due, now).await {
                        Ok(renewed) => {
                            self.findings.worked(&record.key);
                            if renewed {
                                pass.renewed.push((id.clone(), record.label.clone()));
                            }
                        }
                        Err(e) if e.code() == "needs_reconnect" => {
                            self.findings.worked(&record.key);
                            found.push(finding(Cause::NeedsReconnect));
                        }
                        Err(Error::Keyring(e)) => return Err(e),
                        Err(e) => {
                            tracing::info!(service = %id, account = %record.label, error = %e, "renewing failed; will retry");
                            failed = true;
                            let since = self.findings.failed(&record.key, now);
                            if now.saturating_sub(since) >= FAILING_FOR_SECS {
                                found.push(finding(Cause::Failing { since }));
                            }
                        }
                    }
                    continue;
                }
                if !record.renewable {
                    if let Some(at) = record.expires_at {
                        if at > now && at - now <= WARN_BEFORE_SECS {
                            found.push(finding(Cause::ExpiresSoon { expires_at: at }));
                        }
                    }
                }
            }
            self.back_off(&id, failed, now);
        }
        pass.tell = self.findings.update(found, &looked_at, now);
        if let Err(e) = self.findings.save(self.accounts.config_dir()) {
            tracing::warn!(error = %e, "could not save the keeper's findings");
        }
        Ok(pass)
    }

    /// A key from the environment that ends within a day, asked about at
    /// most daily (a request to the service with the key itself).
    async fn check_api_key(&mut self, id: &str, now: u64) -> Option<Finding> {
        let fresh = self
            .findings
            .keys_checked
            .get(id)
            .filter(|c| now.saturating_sub(c.checked_at) < RENEW_UNUSED_AFTER_SECS)
            .cloned();
        let (var, expires_at) = match fresh {
            Some(check) => (
                self.accounts.provider(id).ok()?.api_key_env.clone()?,
                check.expires_at,
            ),
            None => match self.accounts.api_key_expiry(id).await {
                Ok(Some((var, expires_at))) => {
                    self.findings.keys_checked.insert(
                        id.to_owned(),
                        KeyCheck {
                            checked_at: now,
                            expires_at,
                        },
                    );
                    (var, expires_at)
                }
                Ok(None) => return None,
                Err(e) => {
                    tracing::debug!(service = id, error = %e, "could not ask about the API key");
                    return None;
                }
            },
        };
        let at = expires_at?;
        (at > now && at - now <= WARN_BEFORE_SECS).then(|| Finding {
            service: id.to_owned(),
            key: format!("{id}#{var}"),
            account: var,
            cause: Cause::ExpiresSoon { expires_at: at },
            noticed_at: now,
        })
    }

    fn back_off(&mut self, id: &str, failed: bool, now: u64) {
        if !failed {
            self.backoff.remove(id);
            return;
        }
        let step = self
            .backoff
            .get(id)
            .map_or(BACKOFF_FIRST_SECS, |(_, step)| {
                (step * 2).min(BACKOFF_MAX_SECS)
            });
        self.backoff.insert(id.to_owned(), (now + step, step));
    }
}
