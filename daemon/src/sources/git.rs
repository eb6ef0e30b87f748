//! Git sources: a repository whose SemVer tags are the versions it offers.
//!
//! Everything goes through the `git` command line (no shell, no library). Each tag is fetched
//! shallowly into one bare cache repository and read from there with `ls-tree` / `cat-file`,
//! so listing many tags never checks out a work tree. Only installing clones a work tree.
//!
//! Fixes over dogeboxd (pups.md §2): any https URL is accepted (not only `….git`), local
//! repositories go through `file://` so `--depth` is honoured, the pup's real `nixFile` is
//! required (not a hard-coded `pup.nix`), symlinked or submodule pup folders are refused, and a
//! tag that moved between listing and cloning is an error instead of a silent other version.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use dogebox_shared::index::{INDEX_FILE, SourceIndex};
use dogebox_shared::manifest::{MANIFEST_FILE, Manifest};
use dogebox_shared::paths::{METADATA_FILE_LIMIT, safe_relative_path};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::runtime::systemd::nix::trusted_program;

/// What a git command may print on stdout before it is stopped: real listings are far smaller.
const STDOUT_LIMIT: usize = 64 * 1024 * 1024;
/// How much of stderr is kept for messages: git's last lines say what went wrong.
const STDERR_KEEP: usize = 4 * 1024;
/// Logos are shown inline in store listings; a bigger one is dropped, not a tag error.
const LOGO_LIMIT: u64 = 1024 * 1024;
/// A longer location is not a typo we can help with.
const LOCATION_LIMIT: usize = 4096;

const ALLOWED_LOCATIONS: &str = "use an https:// or ssh:// URL, git@host:path, a file:/// URL, \
     or the absolute path of a folder or git repository";

/// The environment every git command gets. No prompts (a daemon has no terminal and must not
/// hang), only the protocols we classify, and C messages so stderr reads the same everywhere.
/// `GIT_LITERAL_PATHSPECS` keeps paths from a repository from being read as pathspec magic.
const GIT_ENV: [(&str, &str); 8] = [
    ("PATH", "/usr/bin:/bin"),
    ("GIT_TERMINAL_PROMPT", "0"),
    ("GIT_ASKPASS", "/bin/false"),
    ("SSH_ASKPASS", "/bin/false"),
    ("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
    ("GIT_ALLOW_PROTOCOL", "file:https:ssh:git"),
    ("LC_ALL", "C"),
    ("GIT_LITERAL_PATHSPECS", "1"),
];

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "git is not installed: no git program in /run/current-system/sw/bin, /usr/sbin, /usr/bin, /sbin or /bin"
    )]
    NotInstalled,
    #[error("{what} failed: {stderr}")]
    Failed { what: String, stderr: String },
    #[error("{what} did not finish within {secs} s and was stopped")]
    Timeout { what: String, secs: u64 },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} printed more than {limit} bytes and was stopped")]
    TooMuchOutput { what: String, limit: usize },
    #[error("{what}: unexpected output from git: {detail}")]
    BadOutput { what: String, detail: String },
    /// The whole message: what was given, why it is refused, what is allowed.
    #[error("{0}")]
    BadLocation(String),
    #[error(
        "{0:?} is not a usable tag name: it must be a valid git ref name without spaces, control characters or any of : ~ ^ ? * [ \\, and must not start with '-'"
    )]
    BadTag(String),
    #[error("{0:?} is not a git object id: expected 40 (or 64) lowercase hexadecimal digits")]
    BadCommit(String),
    #[error("path {path:?} cannot be read from a repository: {reason}")]
    BadPath { path: String, reason: String },
    #[error("{path} at commit {commit} is {kind}, not a regular file")]
    NotAFile {
        commit: String,
        path: String,
        kind: &'static str,
    },
    #[error("{path} at commit {commit} is {kind}, not a folder")]
    NotADir {
        commit: String,
        path: String,
        kind: &'static str,
    },
    #[error("{path} at commit {commit} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        commit: String,
        path: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "commit {commit} is not in the cache {cache}: fetch the tag first (or the tag was moved after it was listed)"
    )]
    NotInCache { cache: String, commit: String },
    #[error("{0} exists but is not a bare git repository, so it cannot be used as the git cache")]
    BadCache(String),
    #[error("{0} already exists; a tag is only cloned into a folder that does not exist yet")]
    DestExists(String),
    /// The tag's `dogebox.json` is unusable. About the tag's content: retrying will not help.
    #[error("tag {tag}: dogebox.json: {reason}")]
    BadIndex { tag: String, reason: String },
    /// A pup folder the tag lists is unusable. About the tag's content: retrying will not help.
    #[error("tag {tag}: folder {folder}: {reason}")]
    BadPup {
        tag: String,
        folder: String,
        reason: String,
    },
    #[error(
        "tag {tag} of {url} now points to commit {actual}, not {expected} as listed (the tag was moved, or a branch has the same name)"
    )]
    TagMoved {
        url: String,
        tag: String,
        expected: String,
        actual: String,
    },
}

impl GitError {
    /// True when the error is about what a tag contains (stable for that commit), false when git
    /// or the system failed (worth retrying later). Lets the caller remember bad tags safely.
    pub fn is_content_error(&self) -> bool {
        matches!(self, Self::BadIndex { .. } | Self::BadPup { .. })
    }
}

// ---------------------------------------------------------------------------------------------
// Locations

/// What `source add` was given, if it is a git location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitLocation {
    /// What git is given.
    pub url: String,
    /// What is stored and shown; classifying it again gives the same location.
    pub shown: String,
}

/// Decides whether a location is a git source before anything touches the network, so a typo
/// is refused with a message instead of a git error. Local repositories become `file://` URLs
/// because git ignores `--depth` for plain local paths.
pub fn classify(location: &str) -> Result<Option<GitLocation>, GitError> {
    let refuse = |why: &str| {
        Err(GitError::BadLocation(format!(
            "source location {location:?} is not allowed: {why}; {ALLOWED_LOCATIONS}"
        )))
    };
    if location.is_empty() {
        return refuse("it is empty");
    }
    if location.len() > LOCATION_LIMIT {
        return refuse(&format!("it is longer than {LOCATION_LIMIT} bytes"));
    }
    if location.starts_with('-') {
        return refuse("it starts with '-', which git would read as an option");
    }
    if location
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return refuse("it contains whitespace or control characters");
    }
    let git = |s: &str| {
        Ok(Some(GitLocation {
            url: s.to_owned(),
            shown: s.to_owned(),
        }))
    };
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("git://") {
        return refuse(
            "it is unencrypted, so anyone on the network could change the pups; use https:// or ssh://",
        );
    }
    // git's transport names are lowercase: `HTTPS://` would be "not allowed".
    if let Some(rest) = strip_prefix_ci(location, "https://") {
        return match check_authority(rest) {
            Ok(()) => git(&format!("https://{rest}")),
            Err(why) => refuse(&why),
        };
    }
    if let Some(rest) = strip_prefix_ci(location, "ssh://") {
        return match check_authority(rest) {
            Ok(()) => git(&format!("ssh://{rest}")),
            Err(why) => refuse(&why),
        };
    }
    if let Some(rest) = strip_prefix_ci(location, "file://") {
        return if rest.starts_with('/') && rest.len() > 1 {
            git(&format!("file://{rest}"))
        } else {
            refuse("a file:// URL must name an absolute path, as in file:///srv/pups")
        };
    }
    if let Some(rest) = location.strip_prefix("git@") {
        return match rest.split_once(':') {
            Some((host, path)) if is_host(host) && !path.is_empty() && !path.starts_with('-') => git(location),
            _ => refuse("git@ must be followed by host:path, as in git@github.com:owner/repo.git"),
        };
    }
    if location.contains("://") {
        return refuse("this URL scheme is not supported");
    }
    if !location.starts_with('/') {
        return refuse("it is a relative path");
    }
    // A path that does not exist or is no repository is the disk source's business.
    let Ok(real) = std::fs::canonicalize(location) else {
        return Ok(None);
    };
    if !is_work_tree(&real) && !is_bare_repo(&real) {
        return Ok(None);
    }
    let Some(shown) = real.to_str() else {
        return refuse("the repository's real path is not valid UTF-8");
    };
    if shown.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse(&format!(
            "the repository's real path {shown:?} contains whitespace or control characters"
        ));
    }
    Ok(Some(GitLocation {
        url: format!("file://{}", percent_encode_path(shown)),
        shown: shown.to_owned(),
    }))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The `[user@]host[:port]` part of a URL: a host that cannot be read as an ssh option, and no
/// password (the location is stored and shown; credentials belong in a helper or ssh key).
fn check_authority(rest: &str) -> Result<(), String> {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if userinfo.is_some_and(|u| u.starts_with('-')) {
        return Err("its user name starts with '-', which ssh would read as an option".to_owned());
    }
    if userinfo.is_some_and(|u| u.contains(':')) {
        return Err(
            "it contains a password, which would be stored and shown; use a git credential helper instead"
                .to_owned(),
        );
    }
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => hostport,
    };
    if is_host(host) {
        Ok(())
    } else {
        Err(format!("{host:?} is not a host name"))
    }
}

fn is_host(host: &str) -> bool {
    let b = host.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

fn is_work_tree(dir: &Path) -> bool {
    // `.git` is a folder, or a file pointing elsewhere (worktrees, submodules).
    std::fs::symlink_metadata(dir.join(".git")).is_ok()
}

/// git's own test for a repository folder: HEAD, objects/ and refs/.
fn is_bare_repo(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// git percent-decodes `file://` URLs, so a `%` in a path must be written `%25`.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Untrusted values reach git as arguments: refuse anything git could read as an option or
/// that a remote could use to make us run something odd.
fn check_url(url: &str) -> Result<(), GitError> {
    if url.is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
        return Err(GitError::BadLocation(format!(
            "git location {url:?} is not allowed: it is empty, starts with '-' or contains control characters"
        )));
    }
    Ok(())
}

/// Tag names end up in refspecs and `--branch`: only what `git check-ref-format` allows, and
/// nothing that changes a refspec's meaning (`:`, `*`, `+` in front, `^`).
fn is_tag_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['-', '.', '/', '+'])
        && !name.ends_with(['.', '/'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.contains("/.")
        && name != "@"
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || ":~^?*[\\".contains(c))
}

fn check_tag(name: &str) -> Result<(), GitError> {
    if is_tag_name(name) {
        Ok(())
    } else {
        Err(GitError::BadTag(name.to_owned()))
    }
}

fn is_object_id(id: &str) -> bool {
    (id.len() == 40 || id.len() == 64)
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_commit(id: &str) -> Result<(), GitError> {
    if is_object_id(id) {
        Ok(())
    } else {
        Err(GitError::BadCommit(id.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------
// Running git

/// Kills git's whole process group (ssh, remote helpers) when a run is abandoned; `kill_on_drop`
/// alone would only kill git and leave a hanging ssh behind.
struct Group(Option<nix::unistd::Pid>);

impl Group {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// After git was reaped its group id may be reused: never signal it again.
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

enum Stop {
    TooMuch,
    Io(std::io::Error),
}

/// Stops reading (so git is stopped) as soon as `limit` is passed, instead of buffering a
/// hostile repository's output without bound.
async fn read_capped(mut r: impl AsyncRead + Unpin, limit: usize) -> Result<Vec<u8>, Stop> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf).await.map_err(Stop::Io)?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > limit {
            return Err(Stop::TooMuch);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Keeps only the end of stderr: that is where git says why it failed.
async fn read_tail(mut r: impl AsyncRead + Unpin) -> Result<Vec<u8>, Stop> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8 * 1024];
    loop {
        let n = r.read(&mut buf).await.map_err(Stop::Io)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
        if out.len() > 2 * STDERR_KEEP {
            out.drain(..out.len() - STDERR_KEEP);
        }
    }
}

/// git's stderr as one line for an error message; control characters (a remote can send
/// terminal escapes) become `?`.
fn stderr_message(raw: &[u8], status: ExitStatus) -> String {
    let start = raw.len().saturating_sub(STDERR_KEEP);
    let text = String::from_utf8_lossy(&raw[start..]);
    let lines: Vec<String> = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect()
        })
        .collect();
    if lines.is_empty() {
        format!("git printed nothing ({status})")
    } else {
        lines.join("; ")
    }
}

/// Runs git with the fixed environment and returns its stdout. One place for the time limit,
/// the output cap and the process-group kill, so no call can forget them.
async fn run_git(
    what: &str,
    args: &[&OsStr],
    timeout: Duration,
    stdout_limit: usize,
) -> Result<Vec<u8>, GitError> {
    let program = trusted_program(Path::new("git")).ok_or(GitError::NotInstalled)?;
    tracing::debug!(what, ?args, "git");
    let mut cmd = Command::new(&program);
    cmd.env_clear();
    if let Some(home) = std::env::var_os("HOME") {
        cmd.env("HOME", home);
    }
    cmd.envs(GIT_ENV)
        .args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let io = |source| GitError::Io {
        what: what.to_owned(),
        source,
    };
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GitError::NotInstalled,
        _ => io(e),
    })?;
    let mut group = Group(
        child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .map(nix::unistd::Pid::from_raw),
    );
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(io(std::io::Error::other("no pipe to git")));
    };
    let work = async {
        let (out, err) = tokio::try_join!(read_capped(stdout, stdout_limit), read_tail(stderr))?;
        let status = child.wait().await.map_err(Stop::Io)?;
        group.disarm();
        Ok::<_, Stop>((out, err, status))
    };
    let result = tokio::time::timeout(timeout, work).await;
    let failed = match result {
        Ok(Ok((out, err, status))) => {
            return if status.success() {
                Ok(out)
            } else {
                Err(GitError::Failed {
                    what: what.to_owned(),
                    stderr: stderr_message(&err, status),
                })
            };
        }
        Ok(Err(Stop::TooMuch)) => GitError::TooMuchOutput {
            what: what.to_owned(),
            limit: stdout_limit,
        },
        Ok(Err(Stop::Io(e))) => io(e),
        Err(_) => GitError::Timeout {
            what: what.to_owned(),
            secs: timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0),
        },
    };
    group.kill();
    let _ = child.kill().await;
    Err(failed)
}

fn os<S: AsRef<OsStr> + ?Sized>(s: &S) -> &OsStr {
    s.as_ref()
}

fn git_dir_arg(cache: &Path) -> OsString {
    let mut arg = OsString::from("--git-dir=");
    arg.push(cache);
    arg
}

/// git runs in `/`, so relative paths are made absolute against the daemon's folder first.
fn absolute(path: &Path) -> Result<PathBuf, GitError> {
    std::path::absolute(path).map_err(|source| GitError::Io {
        what: format!("resolving {}", path.display()),
        source,
    })
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

// ---------------------------------------------------------------------------------------------
// Remote tags

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTag {
    /// As in the repository, e.g. `v1.2.3`.
    pub name: String,
    /// The commit the tag points to (peeled for annotated tags).
    pub commit: String,
}

/// Lists versions without downloading anything. The peeled `^{}` line is used for annotated
/// tags because the cache and clones are checked against commits, not tag objects.
pub async fn remote_tags(url: &str, timeout: Duration) -> Result<Vec<RemoteTag>, GitError> {
    check_url(url)?;
    let what = format!("git ls-remote --tags {url}");
    let out = run_git(
        &what,
        &[os("ls-remote"), os("--tags"), os("--"), os(url)],
        timeout,
        STDOUT_LIMIT,
    )
    .await?;
    parse_ls_remote(&what, &out)
}

fn parse_ls_remote(what: &str, out: &[u8]) -> Result<Vec<RemoteTag>, GitError> {
    // (name, direct id, peeled id) in the order git printed them.
    let mut tags: Vec<(String, String, Option<String>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let Ok(line) = std::str::from_utf8(line) else {
            tracing::warn!(what, "skipping a tag whose name is not UTF-8");
            continue;
        };
        let bad = || GitError::BadOutput {
            what: what.to_owned(),
            detail: format!("line {line:?}"),
        };
        let (id, refname) = line.split_once('\t').ok_or_else(bad)?;
        let name = refname.strip_prefix("refs/tags/").ok_or_else(bad)?;
        if !is_object_id(id) {
            return Err(bad());
        }
        let (name, peeled) = match name.strip_suffix("^{}") {
            Some(n) => (n, true),
            None => (name, false),
        };
        if !is_tag_name(name) {
            let tag = name.escape_debug().to_string();
            tracing::warn!(what, tag, "skipping a tag with an unusable name");
            continue;
        }
        let i = *index.entry(name.to_owned()).or_insert_with(|| {
            tags.push((name.to_owned(), String::new(), None));
            tags.len() - 1
        });
        if peeled {
            tags[i].2 = Some(id.to_owned());
        } else {
            tags[i].1 = id.to_owned();
        }
    }
    Ok(tags
        .into_iter()
        .filter_map(|(name, direct, peeled)| {
            let commit = peeled.unwrap_or(direct);
            (!commit.is_empty()).then_some(RemoteTag { name, commit })
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The cache

/// Fetches only what is new, in one command, so refreshing a source with many tags costs one
/// connection. `--depth 1`: history is never needed, only each tag's tree.
pub async fn fetch_tags(
    cache: &Path,
    url: &str,
    tags: &[RemoteTag],
    timeout: Duration,
) -> Result<(), GitError> {
    check_url(url)?;
    for tag in tags {
        check_tag(&tag.name)?;
        check_commit(&tag.commit)?;
    }
    let cache = absolute(cache)?;
    ensure_cache(&cache, timeout).await?;
    let present = cached_commits(&cache, timeout).await?;
    let mut seen = HashSet::new();
    let missing: Vec<&RemoteTag> = tags
        .iter()
        .filter(|t| !present.contains(&t.commit) && seen.insert(t.name.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let refspecs: Vec<String> = missing
        .iter()
        .map(|t| format!("+refs/tags/{0}:refs/tags/{0}", t.name))
        .collect();
    let git_dir = git_dir_arg(&cache);
    let mut args = vec![
        git_dir.as_os_str(),
        os("fetch"),
        os("--quiet"),
        os("--depth"),
        os("1"),
        os("--no-tags"),
        os("--no-write-fetch-head"),
        os("--no-recurse-submodules"),
        os("--"),
        os(url),
    ];
    args.extend(refspecs.iter().map(os));
    let what = format!(
        "git fetch of {} tag(s) from {url} into {}",
        missing.len(),
        cache.display()
    );
    run_git(&what, &args, timeout, STDOUT_LIMIT).await?;

    // A tag moved between ls-remote and fetch: the listed commit is still missing. Not an error
    // for the other tags; read_tag reports it for this one.
    let now = cached_commits(&cache, timeout).await?;
    for tag in missing.iter().filter(|t| !now.contains(&t.commit)) {
        tracing::warn!(
            tag = %tag.name, commit = %tag.commit, url,
            "fetched tag no longer points to the listed commit"
        );
    }
    Ok(())
}

async fn ensure_cache(cache: &Path, timeout: Duration) -> Result<(), GitError> {
    if is_bare_repo(cache) {
        return Ok(());
    }
    let io = |source| GitError::Io {
        what: format!("preparing the git cache {}", cache.display()),
        source,
    };
    match std::fs::read_dir(cache) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(GitError::BadCache(cache.display().to_string()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = cache.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
        }
        Err(e) => return Err(io(e)),
    }
    let what = format!("git init --bare {}", cache.display());
    run_git(
        &what,
        &[
            os("init"),
            os("--quiet"),
            os("--bare"),
            os("--"),
            cache.as_os_str(),
        ],
        timeout,
        STDOUT_LIMIT,
    )
    .await
    .map(drop)
}

/// Commits the cache's tag refs point to. Refs, not loose objects: a ref is only written after
/// git checked the fetch was complete, so a commit behind a ref has its whole tree.
async fn cached_commits(cache: &Path, timeout: Duration) -> Result<HashSet<String>, GitError> {
    let git_dir = git_dir_arg(cache);
    let what = format!("git for-each-ref in {}", cache.display());
    let out = run_git(
        &what,
        &[
            git_dir.as_os_str(),
            os("for-each-ref"),
            os("--format=%(objectname) %(*objectname)"),
            os("refs/tags/"),
        ],
        timeout,
        STDOUT_LIMIT,
    )
    .await?;
    Ok(String::from_utf8_lossy(&out)
        .split_whitespace()
        .filter(|id| is_object_id(id))
        .map(str::to_owned)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Reading trees and files

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Executable,
    Symlink,
    Dir,
    Submodule,
}

impl EntryKind {
    fn describe(self) -> &'static str {
        match self {
            Self::File => "a file",
            Self::Executable => "an executable file",
            Self::Symlink => "a symbolic link",
            Self::Dir => "a folder",
            Self::Submodule => "a git submodule (not fetched)",
        }
    }

    fn is_regular(self) -> bool {
        matches!(self, Self::File | Self::Executable)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// The name inside its folder (not UTF-8 bytes are shown as U+FFFD).
    pub name: String,
    pub kind: EntryKind,
}

/// One `ls-tree -l` line.
struct RawEntry {
    name: String,
    kind: EntryKind,
    oid: String,
    size: Option<u64>,
}

fn parse_ls_tree(what: &str, out: &[u8]) -> Result<Vec<RawEntry>, GitError> {
    out.split(|&b| b == 0)
        .filter(|r| !r.is_empty())
        .map(|record| {
            let bad = || GitError::BadOutput {
                what: what.to_owned(),
                detail: format!("record {:?}", String::from_utf8_lossy(record)),
            };
            let tab = record.iter().position(|&b| b == b'\t').ok_or_else(bad)?;
            let head = std::str::from_utf8(&record[..tab]).map_err(|_| bad())?;
            let name = String::from_utf8_lossy(&record[tab + 1..]).into_owned();
            let mut fields = head.split_whitespace();
            let (Some(mode), Some(kind), Some(oid)) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let size = fields.next().and_then(|s| s.parse().ok());
            let kind = match (kind, mode) {
                ("tree", _) => EntryKind::Dir,
                ("commit", _) => EntryKind::Submodule,
                ("blob", "120000") => EntryKind::Symlink,
                ("blob", "100755") => EntryKind::Executable,
                ("blob", _) => EntryKind::File,
                _ => return Err(bad()),
            };
            Ok(RawEntry {
                name,
                kind,
                oid: oid.to_owned(),
                size,
            })
        })
        .collect()
}

/// A path checked like a manifest path, as git spells it; `.` is the root.
fn repo_path(path: &str) -> Result<String, GitError> {
    let bad = |reason: String| GitError::BadPath {
        path: path.to_owned(),
        reason,
    };
    let rel = safe_relative_path("path", path).map_err(|e| bad(e.to_string()))?;
    rel.to_str()
        .map(str::to_owned)
        .ok_or_else(|| bad("not valid UTF-8".to_owned()))
}

fn join(folder: &str, rel: &str) -> String {
    if folder == "." {
        rel.to_owned()
    } else {
        format!("{folder}/{rel}")
    }
}

/// Lists a tree by its id or a commit id.
async fn list_tree(
    cache: &Path,
    treeish: &str,
    timeout: Duration,
) -> Result<Vec<RawEntry>, GitError> {
    let git_dir = git_dir_arg(cache);
    let what = format!("git ls-tree {treeish} in {}", cache.display());
    let out = run_git(
        &what,
        &[
            git_dir.as_os_str(),
            os("ls-tree"),
            os("-l"),
            os("-z"),
            os(treeish),
        ],
        timeout,
        STDOUT_LIMIT,
    )
    .await?;
    parse_ls_tree(&what, &out)
}

/// The entry at `path` itself (not its contents), or None. Symlinks and submodules are never
/// followed, so a path through one does not exist.
async fn entry(
    cache: &Path,
    commit: &str,
    path: &str,
    timeout: Duration,
) -> Result<Option<RawEntry>, GitError> {
    let git_dir = git_dir_arg(cache);
    let what = format!(
        "git ls-tree {}:{path} in {}",
        short(commit),
        cache.display()
    );
    let out = run_git(
        &what,
        &[
            git_dir.as_os_str(),
            os("ls-tree"),
            os("-l"),
            os("-z"),
            os(commit),
            os("--"),
            os(path),
        ],
        timeout,
        STDOUT_LIMIT,
    )
    .await?;
    // A pathspec could match more (or, with core.ignoreCase, differently): keep the exact name.
    Ok(parse_ls_tree(&what, &out)?
        .into_iter()
        .find(|e| e.name == path))
}

/// Lets callers look inside a tag without a checkout (and without following links).
pub async fn tree(
    cache: &Path,
    commit: &str,
    dir: &str,
    timeout: Duration,
) -> Result<Option<Vec<TreeEntry>>, GitError> {
    check_commit(commit)?;
    let cache = absolute(cache)?;
    let dir = repo_path(dir)?;
    let entries = if dir == "." {
        list_tree(&cache, commit, timeout).await?
    } else {
        match entry(&cache, commit, &dir, timeout).await? {
            None => return Ok(None),
            Some(e) if e.kind == EntryKind::Dir => list_tree(&cache, &e.oid, timeout).await?,
            Some(e) => {
                return Err(GitError::NotADir {
                    commit: short(commit).to_owned(),
                    path: dir,
                    kind: e.kind.describe(),
                });
            }
        }
    };
    Ok(Some(
        entries
            .into_iter()
            .map(|e| TreeEntry {
                name: e.name,
                kind: e.kind,
            })
            .collect(),
    ))
}

/// Reads a file without a checkout. A symlink is refused rather than followed: its target is
/// chosen by the repository and could name anything.
pub async fn read_file(
    cache: &Path,
    commit: &str,
    path: &str,
    limit: u64,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, GitError> {
    check_commit(commit)?;
    let cache = absolute(cache)?;
    let path = repo_path(path)?;
    let not_a_file = |path: String, kind| GitError::NotAFile {
        commit: short(commit).to_owned(),
        path,
        kind,
    };
    if path == "." {
        return Err(not_a_file(path, EntryKind::Dir.describe()));
    }
    let Some(e) = entry(&cache, commit, &path, timeout).await? else {
        return Ok(None);
    };
    if !e.kind.is_regular() {
        return Err(not_a_file(path, e.kind.describe()));
    }
    read_blob(&cache, commit, &path, &e, limit, timeout)
        .await
        .map(Some)
}

async fn read_blob(
    cache: &Path,
    commit: &str,
    path: &str,
    e: &RawEntry,
    limit: u64,
    timeout: Duration,
) -> Result<Vec<u8>, GitError> {
    let too_large = |size| GitError::TooLarge {
        commit: short(commit).to_owned(),
        path: path.to_owned(),
        size,
        limit,
    };
    if let Some(size) = e.size.filter(|&s| s > limit) {
        return Err(too_large(size));
    }
    let git_dir = git_dir_arg(cache);
    let what = format!(
        "git cat-file blob {}:{path} in {}",
        short(commit),
        cache.display()
    );
    let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    match run_git(
        &what,
        &[git_dir.as_os_str(), os("cat-file"), os("blob"), os(&e.oid)],
        timeout,
        cap,
    )
    .await
    {
        Err(GitError::TooMuchOutput { .. }) => Err(too_large(limit.saturating_add(1))),
        Err(other) => Err(other),
        Ok(bytes) if bytes.len() as u64 > limit => Err(too_large(bytes.len() as u64)),
        Ok(bytes) => Ok(bytes),
    }
}

// ---------------------------------------------------------------------------------------------
// What a tag offers

#[derive(Debug, Clone)]
pub struct TagPup {
    /// The pup folder relative to the repository root; `.` is the root.
    pub sub_path: String,
    pub manifest: Manifest,
    pub logo: Option<Logo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/png` or `image/jpeg`.
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct TagContents {
    /// The tag's `dogebox.json`, if it has one.
    pub index: Option<SourceIndex>,
    pub pups: Vec<TagPup>,
}

/// One tag is one version set: it is all-or-nothing (as in dogeboxd), so a half-broken tag is
/// never offered. Content problems are [`GitError::BadIndex`] / [`GitError::BadPup`]; other
/// errors mean git itself failed.
pub async fn read_tag(
    cache: &Path,
    tag: &RemoteTag,
    timeout: Duration,
) -> Result<TagContents, GitError> {
    check_commit(&tag.commit)?;
    let cache = absolute(cache)?;
    ensure_commit(&cache, &tag.commit, timeout).await?;
    let commit = tag.commit.as_str();
    let bad_index = |reason: String| GitError::BadIndex {
        tag: tag.name.clone(),
        reason,
    };

    let index = match read_file(&cache, commit, INDEX_FILE, METADATA_FILE_LIMIT, timeout).await {
        Ok(Some(bytes)) => Some(SourceIndex::load(&bytes).map_err(|e| bad_index(e.to_string()))?),
        Ok(None) => None,
        Err(e @ (GitError::NotAFile { .. } | GitError::TooLarge { .. })) => {
            return Err(bad_index(e.to_string()));
        }
        Err(e) => return Err(e),
    };
    let folders: Vec<String> = match &index {
        Some(index) => {
            let paths = index.pup_paths().map_err(|e| bad_index(e.to_string()))?;
            let mut seen = HashSet::new();
            let mut folders = Vec::new();
            for p in paths {
                let s = p
                    .to_str()
                    .ok_or_else(|| {
                        bad_index(format!("location {} is not valid UTF-8", p.display()))
                    })?
                    .to_owned();
                if seen.insert(s.clone()) {
                    folders.push(s);
                }
            }
            folders
        }
        None => vec![".".to_owned()],
    };

    let mut pups = Vec::with_capacity(folders.len());
    for folder in folders {
        pups.push(read_pup(&cache, tag, &folder, index.is_some(), timeout).await?);
    }
    Ok(TagContents { index, pups })
}

async fn ensure_commit(cache: &Path, commit: &str, timeout: Duration) -> Result<(), GitError> {
    let git_dir = git_dir_arg(cache);
    let what = format!("git cat-file -t {commit} in {}", cache.display());
    let spec = format!("{commit}^{{commit}}");
    match run_git(
        &what,
        &[git_dir.as_os_str(), os("cat-file"), os("-t"), os(&spec)],
        timeout,
        STDOUT_LIMIT,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(GitError::Failed { .. }) => Err(GitError::NotInCache {
            cache: cache.display().to_string(),
            commit: commit.to_owned(),
        }),
        Err(e) => Err(e),
    }
}

const NOT_THERE: &str = "listed in dogebox.json but does not exist at this tag \
     (or is reached through a symbolic link)";
const REAL_FOLDER: &str = "a pup folder must be a real folder in the repository";

async fn read_pup(
    cache: &Path,
    tag: &RemoteTag,
    folder: &str,
    listed: bool,
    timeout: Duration,
) -> Result<TagPup, GitError> {
    let commit = tag.commit.as_str();
    let bad = |reason: String| GitError::BadPup {
        tag: tag.name.clone(),
        folder: folder.to_owned(),
        reason,
    };
    let entries = if folder == "." {
        list_tree(cache, commit, timeout).await?
    } else {
        match entry(cache, commit, folder, timeout).await? {
            Some(e) if e.kind == EntryKind::Dir => list_tree(cache, &e.oid, timeout).await?,
            None => return Err(bad(NOT_THERE.to_owned())),
            Some(e) => {
                let kind = e.kind.describe();
                return Err(bad(format!("is {kind}; {REAL_FOLDER}")));
            }
        }
    };

    let Some(m) = entries.iter().find(|e| e.name == MANIFEST_FILE) else {
        return Err(bad(if listed {
            "listed in dogebox.json but has no manifest.json".to_owned()
        } else {
            "the repository has neither dogebox.json nor manifest.json at its root".to_owned()
        }));
    };
    if !m.kind.is_regular() {
        return Err(bad(format!(
            "manifest.json is {}, not a regular file",
            m.kind.describe()
        )));
    }
    let manifest_path = join(folder, MANIFEST_FILE);
    let bytes = content(
        read_blob(
            cache,
            commit,
            &manifest_path,
            m,
            METADATA_FILE_LIMIT,
            timeout,
        )
        .await,
        &bad,
    )?;
    let manifest = Manifest::parse(&bytes).map_err(|e| bad(e.to_string()))?;
    manifest.validate().map_err(|e| bad(e.to_string()))?;

    let nix = manifest.nix_file_path().map_err(|e| bad(e.to_string()))?;
    let nix = nix
        .to_str()
        .ok_or_else(|| bad("container.build.nixFile is not valid UTF-8".to_owned()))?;
    match entry(cache, commit, &join(folder, nix), timeout).await? {
        None => {
            return Err(bad(format!(
                "the nix file {nix} (container.build.nixFile) does not exist"
            )));
        }
        Some(e) if !e.kind.is_regular() => {
            return Err(bad(format!(
                "the nix file {nix} (container.build.nixFile) is {}, not a regular file",
                e.kind.describe()
            )));
        }
        Some(_) => {}
    }

    let logo = match manifest.logo_path() {
        Some(logo) => read_logo(cache, tag, folder, logo, timeout).await?,
        None => None,
    };
    Ok(TagPup {
        sub_path: folder.to_owned(),
        manifest,
        logo,
    })
}

/// Size limits on a pup's files are about the tag's content: fold them into its error.
fn content<T>(r: Result<T, GitError>, bad: &impl Fn(String) -> GitError) -> Result<T, GitError> {
    match r {
        Err(e @ (GitError::NotAFile { .. } | GitError::TooLarge { .. })) => Err(bad(e.to_string())),
        other => other,
    }
}

/// A logo is decoration: when it cannot be used the pup is still offered, without it.
async fn read_logo(
    cache: &Path,
    tag: &RemoteTag,
    folder: &str,
    logo: &str,
    timeout: Duration,
) -> Result<Option<Logo>, GitError> {
    let ext = logo
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let mime = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => {
            tracing::warn!(
                tag = %tag.name, folder, logo,
                "logo dropped: only .png, .jpg and .jpeg logos are shown"
            );
            return Ok(None);
        }
    };
    // The manifest validated logoPath, so it is a safe relative path.
    match read_file(cache, &tag.commit, &join(folder, logo), LOGO_LIMIT, timeout).await {
        Ok(Some(bytes)) => Ok(Some(Logo { mime, bytes })),
        Ok(None) => {
            tracing::warn!(tag = %tag.name, folder, logo, "logo dropped: the file does not exist");
            Ok(None)
        }
        Err(
            e @ (GitError::NotAFile { .. } | GitError::TooLarge { .. } | GitError::BadPath { .. }),
        ) => {
            tracing::warn!(tag = %tag.name, folder, error = %e, "logo dropped");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Installing

/// A work tree of exactly the commit that was listed: if the tag moved since, the user would
/// install something nobody reviewed, so that is an error (and the clone is removed).
pub async fn clone_tag(
    url: &str,
    tag: &str,
    expected_commit: &str,
    dest: &Path,
    timeout: Duration,
) -> Result<(), GitError> {
    check_url(url)?;
    check_tag(tag)?;
    check_commit(expected_commit)?;
    let dest = absolute(dest)?;
    if std::fs::symlink_metadata(&dest).is_ok() {
        return Err(GitError::DestExists(dest.display().to_string()));
    }
    let remove = |dest: &Path| {
        if let Err(e) = std::fs::remove_dir_all(dest)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dest = %dest.display(), error = %e, "cannot remove a failed clone");
        }
    };
    // init + fetch of the tag's own ref + checkout, rather than `clone --branch`:
    // that prefers a branch of the same name, and the tag is what was listed.
    let what = format!("git clone of tag {tag} from {url}");
    let git_dir = git_dir_arg(&dest.join(".git"));
    let mut work_tree = OsString::from("--work-tree=");
    work_tree.push(&dest);
    let refspec = format!("+refs/tags/{tag}:refs/tags/{tag}");
    let tag_ref = format!("refs/tags/{tag}");
    let steps: [Vec<&OsStr>; 3] = [
        vec![os("init"), os("--quiet"), os("--"), dest.as_os_str()],
        vec![
            git_dir.as_os_str(),
            os("fetch"),
            os("--quiet"),
            os("--depth"),
            os("1"),
            os("--no-tags"),
            os("--no-recurse-submodules"),
            os("--"),
            os(url),
            os(&refspec),
        ],
        vec![
            git_dir.as_os_str(),
            work_tree.as_os_str(),
            os("-c"),
            os("advice.detachedHead=false"),
            os("checkout"),
            os("--quiet"),
            os("--detach"),
            os(&tag_ref),
        ],
    ];
    for args in &steps {
        if let Err(e) = run_git(&what, args, timeout, STDOUT_LIMIT).await {
            // We checked it did not exist, so whatever is there is git's leftover.
            remove(&dest);
            return Err(e);
        }
    }
    let what = format!("git rev-parse HEAD in {}", dest.display());
    let head = run_git(
        &what,
        &[
            git_dir.as_os_str(),
            os("rev-parse"),
            os("--verify"),
            os("HEAD^{commit}"),
        ],
        timeout,
        STDOUT_LIMIT,
    )
    .await;
    let actual = match head {
        Ok(out) => String::from_utf8_lossy(&out).trim().to_owned(),
        Err(e) => {
            remove(&dest);
            return Err(e);
        }
    };
    if actual != expected_commit {
        remove(&dest);
        return Err(GitError::TagMoved {
            url: url.to_owned(),
            tag: tag.to_owned(),
            expected: expected_commit.to_owned(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dogebox_shared::hash::sha256_hex;
    use std::process::Command as StdCommand;

    const T: Duration = Duration::from_secs(60);

    /// Builds fixture repositories with a private HOME and no system config, so the machine's
    /// git settings cannot change them.
    struct Fixture {
        home: tempfile::TempDir,
        repo: PathBuf,
    }

    impl Fixture {
        fn new() -> Fixture {
            let home = tempfile::tempdir().unwrap();
            let repo = home.path().join("repo");
            std::fs::create_dir(&repo).unwrap();
            let f = Fixture { home, repo };
            f.git(&["init", "-q", "-b", "main"]);
            f
        }

        fn git(&self, args: &[&str]) -> String {
            let program = trusted_program(Path::new("git")).expect("git is installed");
            let out = StdCommand::new(program)
                .env_clear()
                .env("HOME", self.home.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("PATH", "/usr/bin:/bin")
                .args([
                    "-c",
                    "user.name=Test",
                    "-c",
                    "user.email=test@example.invalid",
                ])
                .args(["-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"])
                .args(args)
                .current_dir(&self.repo)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        }

        /// Replaces the work tree with `files` (path, contents; contents "->x" makes a symlink
        /// to x), commits and tags. Annotated tags get a message.
        fn commit_tag(&self, tag: &str, annotated: bool, files: &[(&str, Vec<u8>)]) -> String {
            for e in std::fs::read_dir(&self.repo).unwrap() {
                let e = e.unwrap();
                if e.file_name() != ".git" {
                    let p = e.path();
                    if p.is_dir() && !p.is_symlink() {
                        std::fs::remove_dir_all(p).unwrap();
                    } else {
                        std::fs::remove_file(p).unwrap();
                    }
                }
            }
            for (path, bytes) in files {
                let p = self.repo.join(path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                match bytes.strip_prefix(b"->") {
                    Some(target) => {
                        std::os::unix::fs::symlink(std::str::from_utf8(target).unwrap(), &p)
                            .unwrap()
                    }
                    None => std::fs::write(&p, bytes).unwrap(),
                }
            }
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "--allow-empty", "-m", tag]);
            if annotated {
                self.git(&["tag", "-a", tag, "-m", tag]);
            } else {
                self.git(&["tag", tag]);
            }
            self.git(&["rev-parse", "HEAD"])
        }

        fn url(&self) -> String {
            format!("file://{}", self.repo.display())
        }

        fn cache(&self) -> PathBuf {
            self.home.path().join("cache/repo.git")
        }
    }

    const NIX: &[u8] = b"{ pkgs }: { web = pkgs.hello; }\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake";

    fn manifest(name: &str, nix_file: &str, logo: Option<&str>) -> Vec<u8> {
        let logo = logo
            .map(|l| format!(",\"logoPath\":\"{l}\""))
            .unwrap_or_default();
        format!(
            r#"{{"manifestVersion":1,"meta":{{"name":"{name}","version":"1.0.0"{logo}}},"container":{{"build":{{"nixFile":"{nix_file}","nixFileSha256":"{}"}},"services":[{{"name":"web","command":{{"exec":"/bin/run.sh"}}}}],"exposes":[]}}}}"#,
            sha256_hex(NIX)
        )
        .into_bytes()
    }

    fn index(locations: &[&str]) -> Vec<u8> {
        let pups: Vec<String> = locations
            .iter()
            .map(|l| format!(r#"{{"location":"{l}"}}"#))
            .collect();
        format!(
            r#"{{"id":"test.pups","name":"Test pups","pups":[{}]}}"#,
            pups.join(",")
        )
        .into_bytes()
    }

    /// One repository, one scenario per tag.
    struct Scenarios {
        f: Fixture,
        two_pups: String,
        root_pup: String,
    }

    fn scenarios() -> Scenarios {
        let f = Fixture::new();
        let two_pups = f.commit_tag(
            "v1.0.0",
            false,
            &[
                ("dogebox.json", index(&["core", "extra/"])),
                (
                    "core/manifest.json",
                    manifest("core", "pup.nix", Some("Logo.PNG")),
                ),
                ("core/pup.nix", NIX.to_vec()),
                ("core/Logo.PNG", PNG.to_vec()),
                (
                    "extra/manifest.json",
                    manifest("extra", "nix/pup.nix", Some("logo.gif")),
                ),
                ("extra/nix/pup.nix", NIX.to_vec()),
                ("extra/logo.gif", b"GIF89a".to_vec()),
                ("link.json", b"->core/manifest.json".to_vec()),
            ],
        );
        let root_pup = f.commit_tag(
            "v1.1.0",
            true,
            &[
                (
                    "manifest.json",
                    manifest("root", "pup.nix", Some("logo.jpg")),
                ),
                ("pup.nix", NIX.to_vec()),
            ],
        );
        let mut no_services = String::from_utf8(manifest("bad", "pup.nix", None)).unwrap();
        no_services =
            no_services.replace(r#"[{"name":"web","command":{"exec":"/bin/run.sh"}}]"#, "[]");
        f.commit_tag(
            "v1.2.0",
            false,
            &[
                ("dogebox.json", index(&["good", "bad"])),
                ("good/manifest.json", manifest("good", "pup.nix", None)),
                ("good/pup.nix", NIX.to_vec()),
                ("bad/manifest.json", no_services.into_bytes()),
                ("bad/pup.nix", NIX.to_vec()),
            ],
        );
        f.commit_tag(
            "v1.3.0",
            true,
            &[
                ("dogebox.json", index(&["p"])),
                ("p/manifest.json", manifest("p", "pup.nix", None)),
                ("p/default.nix", NIX.to_vec()),
            ],
        );
        f.commit_tag(
            "v1.4.0",
            false,
            &[
                ("dogebox.json", index(&["linked"])),
                ("real/manifest.json", manifest("p", "pup.nix", None)),
                ("real/pup.nix", NIX.to_vec()),
                ("linked", b"->real".to_vec()),
            ],
        );
        f.commit_tag(
            "v1.5.0",
            false,
            &[("dogebox.json", b"{\"name\":\"no id\"}".to_vec())],
        );
        Scenarios {
            f,
            two_pups,
            root_pup,
        }
    }

    fn err_text<T: std::fmt::Debug>(r: Result<T, GitError>) -> String {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn classify_urls() {
        for url in [
            "https://github.com/Dogebox-WG/pups.git",
            "https://example.com/owner/repo",
            "HTTPS://Example.com:8443/r",
            "ssh://git@example.com:2222/srv/pups.git",
            "ssh://example.com/pups",
            "git@github.com:owner/repo.git",
            "file:///srv/pups.git",
        ] {
            // The scheme is lowered: git's transport names are case-sensitive.
            let want = url.replacen("HTTPS://", "https://", 1);
            assert_eq!(
                classify(url).unwrap(),
                Some(GitLocation {
                    url: want.clone(),
                    shown: want
                }),
                "{url}"
            );
        }
        for (bad, says) in [
            ("http://example.com/r.git", "unencrypted"),
            ("git://example.com/r.git", "unencrypted"),
            ("relative/path", "relative path"),
            ("pups.git", "relative path"),
            ("-oProxyCommand=touch /tmp/x", "starts with '-'"),
            ("https://example.com/a b", "whitespace"),
            ("https://example.com/a\tb", "whitespace"),
            ("/srv/pups\n", "whitespace"),
            ("", "empty"),
            ("https://-oProxyCommand=x/r", "not a host name"),
            ("ssh://-oProxyCommand=x/r", "not a host name"),
            ("git@-oProxyCommand=x:r", "git@ must be followed"),
            ("git@host", "git@ must be followed"),
            ("https://user:secret@example.com/r", "password"),
            ("ssh://user:secret@example.com/r", "password"),
            ("ssh://-oProxyCommand=x@host/x", "user name starts with '-'"),
            ("git@host:-oProxyCommand=x", "git@ must be followed"),
            ("ftp://example.com/r", "scheme"),
            ("file://relative", "absolute path"),
        ] {
            let msg = err_text(classify(bad));
            assert!(
                msg.contains(says) && msg.contains("use an https:// or ssh:// URL"),
                "{bad:?}: {msg}"
            );
        }
    }

    #[test]
    fn classify_local_paths() {
        let f = Fixture::new();
        f.commit_tag("v1.0.0", false, &[("a", b"a".to_vec())]);
        let canonical = std::fs::canonicalize(&f.repo)
            .unwrap()
            .display()
            .to_string();
        let expect = Some(GitLocation {
            url: format!("file://{canonical}"),
            shown: canonical.clone(),
        });
        assert_eq!(classify(&f.repo.display().to_string()).unwrap(), expect);
        // Through a symlink and with a trailing slash: the same canonical location.
        let link = f.home.path().join("link");
        std::os::unix::fs::symlink(&f.repo, &link).unwrap();
        assert_eq!(classify(&format!("{}/", link.display())).unwrap(), expect);
        // What is stored classifies the same way again.
        assert_eq!(classify(&canonical).unwrap(), expect);

        let bare = f.home.path().join("bare%x.git");
        f.git(&["clone", "-q", "--bare", "--", ".", bare.to_str().unwrap()]);
        let loc = classify(bare.to_str().unwrap()).unwrap().unwrap();
        let canonical_bare = std::fs::canonicalize(&bare).unwrap().display().to_string();
        assert_eq!(loc.shown, canonical_bare);
        assert_eq!(
            loc.url,
            format!("file://{}", canonical_bare.replace('%', "%25"))
        );

        let plain = f.home.path().join("plain");
        std::fs::create_dir(&plain).unwrap();
        assert_eq!(classify(plain.to_str().unwrap()).unwrap(), None);
        assert_eq!(classify("/no/such/folder/dbx").unwrap(), None);
    }

    #[tokio::test]
    async fn remote_tags_peels_annotated_tags() {
        let s = scenarios();
        let tags = remote_tags(&s.f.url(), T).await.unwrap();
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0"]
        );
        assert_eq!(tags[0].commit, s.two_pups);
        let tag_object = s.f.git(&["rev-parse", "v1.1.0"]);
        assert_ne!(tag_object, s.root_pup, "v1.1.0 is annotated");
        assert_eq!(tags[1].commit, s.root_pup);

        // A local classified path works like any URL (percent-encoding included).
        let loc = classify(s.f.repo.to_str().unwrap()).unwrap().unwrap();
        assert_eq!(remote_tags(&loc.url, T).await.unwrap(), tags);

        let msg = err_text(remote_tags("file:///no/such/repo/dbx", T).await);
        assert!(
            msg.starts_with("git ls-remote --tags file:///no/such/repo/dbx failed: fatal: "),
            "{msg}"
        );
        assert!(matches!(
            remote_tags("--upload-pack=touch /tmp/x", T).await,
            Err(GitError::BadLocation(_))
        ));
    }

    #[test]
    fn ls_remote_parsing() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let out = format!(
            "{a}\trefs/tags/v1\n{b}\trefs/tags/v2\n{c}\trefs/tags/v2^{{}}\n{a}\trefs/tags/bad:name\n{a}\trefs/tags/-x\n"
        );
        let tags = parse_ls_remote("t", out.as_bytes()).unwrap();
        assert_eq!(
            tags,
            [
                RemoteTag {
                    name: "v1".into(),
                    commit: a.clone()
                },
                RemoteTag {
                    name: "v2".into(),
                    commit: c
                }
            ]
        );
        assert!(parse_ls_remote("t", b"garbage\n").is_err());
    }

    #[tokio::test]
    async fn fetch_then_read_tags() {
        let s = scenarios();
        let url = s.f.url();
        let cache = s.f.cache();
        let tags = remote_tags(&url, T).await.unwrap();
        fetch_tags(&cache, &url, &tags, T).await.unwrap();
        assert!(is_bare_repo(&cache));
        assert_eq!(
            std::fs::read_to_string(cache.join("shallow"))
                .unwrap()
                .lines()
                .count(),
            tags.len()
        );
        // Nothing is missing now, so nothing is fetched: even an unreachable URL is fine.
        fetch_tags(&cache, "file:///no/such/repo/dbx", &tags, T)
            .await
            .unwrap();
        let tag = |name: &str| tags.iter().find(|t| t.name == name).unwrap().clone();

        // dogebox.json listing two pups; "extra/" is normalised; logos by extension.
        let c = read_tag(&cache, &tag("v1.0.0"), T).await.unwrap();
        assert_eq!(c.index.as_ref().map(|i| i.id()), Some("test.pups"));
        let paths: Vec<&str> = c.pups.iter().map(|p| p.sub_path.as_str()).collect();
        assert_eq!(paths, ["core", "extra"]);
        assert_eq!(c.pups[0].manifest.name(), "core");
        assert_eq!(
            c.pups[0].logo,
            Some(Logo {
                mime: "image/png",
                bytes: PNG.to_vec()
            })
        );
        assert_eq!(c.pups[1].manifest.nix_file(), "nix/pup.nix");
        assert_eq!(c.pups[1].logo, None, "gif is not shown");

        // No dogebox.json: the root is the pup; its logo file is missing, so no logo.
        let c = read_tag(&cache, &tag("v1.1.0"), T).await.unwrap();
        assert!(c.index.is_none());
        assert_eq!(c.pups.len(), 1);
        assert_eq!(
            (c.pups[0].sub_path.as_str(), c.pups[0].manifest.name()),
            (".", "root")
        );
        assert_eq!(c.pups[0].logo, None);

        let e = read_tag(&cache, &tag("v1.2.0"), T).await.unwrap_err();
        assert!(e.is_content_error());
        assert_eq!(
            e.to_string(),
            "tag v1.2.0: folder bad: manifest validation failed: manifest container.services is empty: a pup needs at least one service to run"
        );
        assert_eq!(
            err_text(read_tag(&cache, &tag("v1.3.0"), T).await),
            "tag v1.3.0: folder p: the nix file pup.nix (container.build.nixFile) does not exist"
        );
        assert_eq!(
            err_text(read_tag(&cache, &tag("v1.4.0"), T).await),
            "tag v1.4.0: folder linked: is a symbolic link; a pup folder must be a real folder in the repository"
        );
        assert_eq!(
            err_text(read_tag(&cache, &tag("v1.5.0"), T).await),
            "tag v1.5.0: dogebox.json: missing field: id"
        );

        // A commit that was never fetched.
        let missing = RemoteTag {
            name: "v9".into(),
            commit: "0".repeat(40),
        };
        let e = read_tag(&cache, &missing, T).await.unwrap_err();
        assert!(
            matches!(e, GitError::NotInCache { .. }) && !e.is_content_error(),
            "{e}"
        );
    }

    #[tokio::test]
    async fn fetch_only_what_is_missing() {
        let s = scenarios();
        let url = s.f.url();
        let cache = s.f.cache();
        let tags = remote_tags(&url, T).await.unwrap();
        fetch_tags(&cache, &url, &tags[..1], T).await.unwrap();
        assert!(read_tag(&cache, &tags[0], T).await.is_ok());
        assert!(matches!(
            read_tag(&cache, &tags[1], T).await,
            Err(GitError::NotInCache { .. })
        ));
        fetch_tags(&cache, &url, &tags, T).await.unwrap();
        assert!(read_tag(&cache, &tags[1], T).await.is_ok());
        // A folder that is not a cache is left alone.
        let other = s.f.home.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("x"), b"x").unwrap();
        assert!(matches!(
            fetch_tags(&other, &url, &tags, T).await,
            Err(GitError::BadCache(_))
        ));
        let bad = RemoteTag {
            name: "v1:refs/heads/x".into(),
            commit: tags[0].commit.clone(),
        };
        assert!(matches!(
            fetch_tags(&cache, &url, &[bad], T).await,
            Err(GitError::BadTag(_))
        ));
    }

    #[tokio::test]
    async fn trees_and_files() {
        let s = scenarios();
        let url = s.f.url();
        let cache = s.f.cache();
        let tags = remote_tags(&url, T).await.unwrap();
        fetch_tags(&cache, &url, &tags, T).await.unwrap();
        let c = &s.two_pups;

        let root = tree(&cache, c, ".", T).await.unwrap().unwrap();
        let kinds: Vec<(&str, EntryKind)> =
            root.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("core", EntryKind::Dir),
                ("dogebox.json", EntryKind::File),
                ("extra", EntryKind::Dir),
                ("link.json", EntryKind::Symlink)
            ]
        );
        let extra = tree(&cache, c, "extra/", T).await.unwrap().unwrap();
        assert_eq!(extra.len(), 3);
        assert_eq!(tree(&cache, c, "nope", T).await.unwrap(), None);
        assert!(matches!(
            tree(&cache, c, "dogebox.json", T).await,
            Err(GitError::NotADir { .. })
        ));
        assert!(matches!(
            tree(&cache, c, "../x", T).await,
            Err(GitError::BadPath { .. })
        ));

        assert_eq!(
            read_file(&cache, c, "core/pup.nix", 1024, T).await.unwrap(),
            Some(NIX.to_vec())
        );
        assert_eq!(
            read_file(&cache, c, "core/nope", 1024, T).await.unwrap(),
            None
        );
        let msg = err_text(read_file(&cache, c, "link.json", 1024, T).await);
        assert_eq!(
            msg,
            format!(
                "link.json at commit {} is a symbolic link, not a regular file",
                &c[..12]
            )
        );
        assert!(matches!(
            read_file(&cache, c, "core", 1024, T).await,
            Err(GitError::NotAFile { .. })
        ));
        let r = read_file(&cache, c, "core/pup.nix", 4, T).await;
        assert!(matches!(r, Err(GitError::TooLarge { size, .. }) if size == NIX.len() as u64));
        assert!(matches!(
            read_file(&cache, "HEAD", "x", 4, T).await,
            Err(GitError::BadCommit(_))
        ));
        // Links are not followed on the way either.
        let v14 = &tags.iter().find(|t| t.name == "v1.4.0").unwrap().commit;
        assert_eq!(
            read_file(&cache, v14, "linked/manifest.json", 1 << 20, T)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            tree(&cache, v14, "linked", T)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(format!(
                "linked at commit {} is a symbolic link, not a folder",
                &v14[..12]
            ))
        );
    }

    #[tokio::test]
    async fn stdout_is_capped() {
        let s = scenarios();
        let cache = s.f.cache();
        let tags = remote_tags(&s.f.url(), T).await.unwrap();
        fetch_tags(&cache, &s.f.url(), &tags, T).await.unwrap();
        let git_dir = git_dir_arg(&cache);
        let r = run_git(
            "ls-tree",
            &[
                git_dir.as_os_str(),
                os("ls-tree"),
                os("-r"),
                os(&s.two_pups),
            ],
            T,
            10,
        )
        .await;
        assert!(
            matches!(r, Err(GitError::TooMuchOutput { limit: 10, .. })),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn clone_checks_the_commit() {
        let s = scenarios();
        let url = s.f.url();
        let dest = s.f.home.path().join("work/pup");
        clone_tag(&url, "v1.1.0", &s.root_pup, &dest, T)
            .await
            .unwrap();
        assert!(dest.join("manifest.json").is_file());
        assert_eq!(
            std::fs::read_to_string(dest.join(".git/shallow"))
                .unwrap()
                .trim(),
            s.root_pup
        );
        assert!(matches!(
            clone_tag(&url, "v1.1.0", &s.root_pup, &dest, T).await,
            Err(GitError::DestExists(_))
        ));

        let dest2 = s.f.home.path().join("work/pup2");
        let msg = err_text(clone_tag(&url, "v1.0.0", &s.root_pup, &dest2, T).await);
        assert!(
            msg.starts_with(&format!(
                "tag v1.0.0 of {url} now points to commit {}, not {}",
                s.two_pups, s.root_pup
            )),
            "{msg}"
        );
        assert!(!dest2.exists(), "a wrong clone is removed");

        let msg = err_text(clone_tag(&url, "v7.7.7", &s.root_pup, &dest2, T).await);
        assert!(
            msg.starts_with("git clone of tag v7.7.7 from ") && msg.contains("refs/tags/v7.7.7"),
            "{msg}"
        );
        assert!(!dest2.exists());
        assert!(matches!(
            clone_tag(&url, "-b", &s.root_pup, &dest2, T).await,
            Err(GitError::BadTag(_))
        ));

        // A branch named like the tag, at another commit: the tag is what is cloned.
        s.f.git(&["branch", "v1.1.0", &s.two_pups]);
        let dest3 = s.f.home.path().join("work/pup3");
        clone_tag(&url, "v1.1.0", &s.root_pup, &dest3, T).await.unwrap();
        assert!(dest3.join("manifest.json").is_file());
    }

    /// A git:// server that accepts the connection and never answers: git waits forever.
    #[tokio::test]
    async fn timeout_stops_git() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = std::time::Instant::now();
        let r = remote_tags(
            &format!("git://127.0.0.1:{port}/pups.git"),
            Duration::from_millis(1500),
        )
        .await;
        assert!(
            matches!(&r, Err(GitError::Timeout { secs: 2, .. })),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        drop(listener);
    }
}
