//! Processes: a whole process tree's memory (PSS summed, so pages shared between
//! the app and its WebKit processes count once), signals, and timed runs.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One process of a tree, as /proc shows it.
#[derive(Clone, Debug)]
pub struct ProcMem {
    pub pid: u32,
    pub name: String,
    pub pss_kib: u64,
    pub rss_kib: u64,
    /// /proc/<pid>/stat field 22, to tell a pid from a later process that reuses it.
    pub start_time: u64,
}

impl ProcMem {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "pid": self.pid,
            "name": self.name,
            "pss_mib": kib_to_mib(self.pss_kib),
            "rss_mib": kib_to_mib(self.rss_kib),
        })
    }
}

pub fn kib_to_mib(kib: u64) -> f64 {
    crate::stats::round(kib as f64 / 1024.0)
}

/// (ppid, comm, start time) of a process, from /proc/<pid>/stat.
fn stat(pid: u32) -> Option<(u32, String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm is in parentheses and may itself contain spaces or parentheses.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state): ppid is field 4, starttime field 22.
    let ppid = rest.get(1)?.parse().ok()?;
    let start = rest.get(19)?.parse().ok()?;
    Some((ppid, comm, start))
}

/// `root` and every process descending from it, root first.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some((ppid, _, _)) = stat(pid) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids.iter().copied());
        }
        i += 1;
    }
    out
}

/// PSS and RSS of each process in the tree under `root` (those still alive).
pub fn tree_memory(root: u32) -> Vec<ProcMem> {
    tree(root)
        .into_iter()
        .filter_map(|pid| {
            let (_, comm, start_time) = stat(pid)?;
            // comm is cut at 15 characters ("WebKitWebProces"); the program's file name is not.
            let name = std::fs::read(format!("/proc/{pid}/cmdline"))
                .ok()
                .and_then(|raw| {
                    let first = raw.split(|b| *b == 0).next()?;
                    let text = String::from_utf8_lossy(first).into_owned();
                    let base = text.rsplit('/').next()?.to_string();
                    (!base.is_empty()).then_some(base)
                })
                .unwrap_or(comm);
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            let field = |key: &str| {
                rollup.lines().find_map(|line| {
                    line.strip_prefix(key)
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                })
            };
            Some(ProcMem {
                pid,
                name,
                pss_kib: field("Pss:")?,
                rss_kib: field("Rss:")?,
                start_time,
            })
        })
        .collect()
}

pub fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) with a pid we started (or its descendant we just listed).
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Ends a process tree we started: SIGTERM to the root, SIGKILL after `grace`,
/// then SIGKILL to any listed descendant still alive (same pid *and* start time,
/// so a recycled pid is never hit).
pub fn end_tree(child: &mut std::process::Child, descendants: &[ProcMem], grace: Duration) {
    signal(child.id(), libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let _ = child.wait();
    for p in descendants {
        if stat(p.pid).is_some_and(|(_, _, start)| start == p.start_time) {
            signal(p.pid, libc::SIGKILL);
        }
    }
}

/// A finished, timed process run.
pub struct Timed {
    pub ms: f64,
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to completion and times it from just before spawn to just
/// after exit (output is collected through pipes while it runs).
pub fn timed(command: &mut Command) -> Timed {
    command.stdin(Stdio::null());
    let start = Instant::now();
    match command.output() {
        Ok(out) => Timed {
            ms: start.elapsed().as_secs_f64() * 1000.0,
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        Err(e) => Timed {
            ms: f64::NAN,
            ok: false,
            stdout: String::new(),
            stderr: format!("could not start {:?}: {e}", command.get_program()),
        },
    }
}

pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
