//! Authdeck as git's credential helper, with real programs: real `git` cloning
//! and pushing over smart HTTP to a loopback server (`git http-backend` behind
//! Basic auth that accepts only a token the fake provider accepts right now),
//! `authdeck setup-git` editing a real global git config, and a token that
//! expires between two git commands being renewed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use authdeck_test_support::cli::{authdeck_path, scrub_env};
use authdeck_test_support::fake_provider::Family;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::{git_http_server_script, TempDir};

/// The loopback git server; killed on drop.
struct GitServer {
    child: Child,
    port: u16,
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_git_server(root: &Path, check_url: &str) -> GitServer {
    let script = git_http_server_script();
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(root)
        .arg(check_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs the git server");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the git server prints its port");
    let port = line.trim().parse().expect("a port");
    GitServer { child, port }
}

/// A git command with this test's global config, nothing from the machine's,
/// no prompt, and the app's environment for the helper git starts.
struct Git<'a> {
    scenario: &'a Scenario,
    global: PathBuf,
}

impl Git<'_> {
    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new("git");
        scrub_env(&mut command);
        command
            .current_dir(dir)
            .args(args)
            .envs(self.scenario.test.app_env())
            .envs(self.scenario.fake.credentials_env())
            .env("GIT_CONFIG_GLOBAL", &self.global)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "Ada")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            // Everything git would trace about the exchange, headers included.
            .env("GIT_TRACE", "1")
            .env("GIT_TRACE_CURL", "1")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        self.command(dir, args).output().expect("git runs")
    }

    fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.run(dir, args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `authdeck ARGS` with this test's git config.
    fn authdeck(&self, args: &[&str], stdin: &str) -> std::process::Output {
        let mut command = Command::new(authdeck_path());
        scrub_env(&mut command);
        let mut child = command
            .args(args)
            .envs(self.scenario.test.app_env())
            .envs(self.scenario.fake.credentials_env())
            .env("GIT_CONFIG_GLOBAL", &self.global)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("authdeck runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    }
}

fn files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

#[test]
fn git_clones_and_pushes_with_the_connection_and_a_renewed_token() {
    let scenario = Scenario::new(Family::GitHub, "git");
    let work = TempDir::new("git-work");
    // An app with expiring tokens (GitHub Apps; OAuth Apps that opted in).
    scenario.fake.set_access_token_lifetime(Some(65));
    let user_url = scenario.fake.url("/user");
    let server = start_git_server(work.path(), &user_url);
    let host = format!("127.0.0.1:{}", server.port);
    scenario.test.write_providers_toml(&format!(
        "{}git_hosts = [\"{host}\"]\n",
        scenario.fake.providers_toml("github")
    ));
    let (minted, _) = scenario.plant(65, &["repo"]);
    let git = Git {
        scenario: &scenario,
        global: work.join("gitconfig"),
    };
    std::fs::write(&git.global, "").expect("global config");

    // A repository on the server, with one commit.
    git.ok(
        work.path(),
        &["init", "-q", "--bare", "-b", "main", "repo.git"],
    );
    git.ok(work.path(), &["init", "-q", "-b", "main", "seed"]);
    let seed = work.join("seed");
    std::fs::write(seed.join("README"), "hello\n").expect("file");
    git.ok(&seed, &["add", "README"]);
    git.ok(&seed, &["commit", "-q", "-m", "first"]);
    let bare = work.join("repo.git");
    git.ok(&seed, &["push", "-q", &bare.to_string_lossy(), "main"]);

    // Without Authdeck, the server refuses git.
    let url = format!("http://{host}/repo.git");
    let refused = git.run(work.path(), &["clone", "-q", &url, "refused"]);
    assert!(!refused.status.success());

    // setup-git writes the helper for this host, once.
    let setup = git.authdeck(&["setup-git", "github"], "");
    assert!(setup.status.success(), "{setup:?}");
    let said = String::from_utf8_lossy(&setup.stdout);
    assert!(said.contains(&format!("http://{host}")), "{said}");
    let again = git.authdeck(&["setup-git", "github"], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("already"));
    let config = std::fs::read_to_string(&git.global).expect("config");
    assert_eq!(config.matches("git-credential").count(), 1, "{config}");

    // Clone with the saved token: no refresh needed yet.
    let mut traces = git.ok(work.path(), &["clone", "-q", &url, "clone"]);
    assert_eq!(scenario.fake.refresh_count(), 0);

    // The token now ends within the minute: the next git command gets a new one.
    std::thread::sleep(Duration::from_secs(6));
    let clone = work.join("clone");
    std::fs::write(clone.join("NOTES"), "more\n").expect("file");
    git.ok(&clone, &["add", "NOTES"]);
    git.ok(&clone, &["commit", "-q", "-m", "second"]);
    traces.push_str(&git.ok(&clone, &["push", "-q", "origin", "main"]));
    assert_eq!(scenario.fake.refresh_count(), 1, "renewed between commands");
    let pushed = git.run(&bare, &["log", "--format=%s", "main"]);
    assert_eq!(String::from_utf8_lossy(&pushed.stdout), "second\nfirst\n");

    // No token in git's traces, or in any file this test's git and app wrote.
    let mut tokens = scenario.fake.valid_access_tokens();
    tokens.push(minted.access_token.clone());
    let mut files = Vec::new();
    files_under(work.path(), &mut files);
    files_under(scenario.test.config.path(), &mut files);
    for token in &tokens {
        assert!(!traces.contains(token.as_str()), "a token in git's trace");
        for file in &files {
            let bytes = std::fs::read(file).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(token.as_str()),
                "a token in {}",
                file.display()
            );
        }
    }

    // erase (git sends it after any 401) does not log out.
    let erase = git.authdeck(
        &["git-credential", "erase"],
        &format!("protocol=http\nhost={host}\nusername=octocat\npassword=x\n\n"),
    );
    assert!(erase.status.success());
    assert!(erase.stdout.is_empty());
    assert!(scenario.record().is_some());

    // --remove takes the helper out again.
    let removed = git.authdeck(&["setup-git", "github", "--remove"], "");
    assert!(removed.status.success(), "{removed:?}");
    let config = std::fs::read_to_string(&git.global).expect("config");
    assert!(!config.contains("git-credential"), "{config}");
    drop(server);
}

#[test]
fn a_host_no_service_serves_gets_no_answer_so_git_asks_the_next_helper() {
    let scenario = Scenario::new(Family::GitHub, "git-fallthrough");
    scenario.plant(3_600, &["repo"]);
    let work = TempDir::new("git-fallthrough");
    let git = Git {
        scenario: &scenario,
        global: work.join("gitconfig"),
    };
    let helper = format!("!{} git-credential", authdeck_path());
    std::fs::write(
        &git.global,
        format!(
            "[credential]\n\thelper = {helper}\n\thelper = \"!f() {{ echo username=other; echo password=from-the-next-helper; }}; f\"\n"
        ),
    )
    .expect("config");
    // Straight to the helper: nothing at all on stdout.
    let direct = git.authdeck(
        &["git-credential", "get"],
        "protocol=https\nhost=gitlab.example\n\n",
    );
    assert!(direct.status.success());
    assert!(direct.stdout.is_empty(), "{direct:?}");
    // Through git: the next helper answers.
    let mut fill = git
        .command(work.path(), &["credential", "fill"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    fill.stdin
        .take()
        .expect("stdin")
        .write_all(b"protocol=https\nhost=gitlab.example\n\n")
        .expect("write");
    let out = fill.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("password=from-the-next-helper"), "{text}");
    // github.com is served: the saved token, and when it ends.
    let served = git.authdeck(
        &["git-credential", "get"],
        "protocol=https\nhost=github.com\npath=o/r.git\n\n",
    );
    let text = String::from_utf8_lossy(&served.stdout);
    assert!(
        text.starts_with("username=ada@example.com\npassword="),
        "{text}"
    );
    assert!(text.contains("password_expiry_utc="), "{text}");
    // Plain http to a host on the network is never answered.
    let plain = git.authdeck(
        &["git-credential", "get"],
        "protocol=http\nhost=github.com\n\n",
    );
    assert!(plain.stdout.is_empty());
}
