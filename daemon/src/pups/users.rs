//! One system user per pup, so pups cannot read, write or signal each other. Made with
//! shadow's `useradd`/`userdel` (by absolute path, argv only) on the hosts the systemd
//! runtime serves; the name is derived from the pup id, so nothing from a manifest
//! reaches the command.

use std::path::{Path, PathBuf};
use std::process::Command;

use nix::unistd::User;

/// `dbx-` and the first 12 hex characters of the pup id.
pub fn user_name_for(pup_id: &str) -> String {
    format!("dbx-{}", &pup_id[..pup_id.len().min(12)])
}

fn shadow_tool(name: &str) -> Result<PathBuf, String> {
    ["/usr/sbin/", "/sbin/", "/run/current-system/sw/bin/"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{name} is not installed (it makes a system user for each pup)"))
}

/// The pup's user, created if it does not exist yet.
pub fn ensure(name: &str) -> Result<User, String> {
    if let Some(u) = lookup(name)? {
        return Ok(u);
    }
    let out = Command::new(shadow_tool("useradd")?)
        .args(["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"])
        .args(["--user-group", "--comment", "dogebox pup", "--", name])
        .output()
        .map_err(|e| format!("running useradd: {e}"))?;
    // 9: the name is taken, e.g. by a concurrent install of the same pup.
    if !out.status.success() && out.status.code() != Some(9) {
        return Err(format!("useradd {name} failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    lookup(name)?.ok_or_else(|| format!("useradd {name} succeeded but the user cannot be found"))
}

/// Remove the pup's user; a user that is already gone is fine.
pub fn remove(name: &str) -> Result<(), String> {
    if lookup(name)?.is_none() {
        return Ok(());
    }
    let out = Command::new(shadow_tool("userdel")?)
        .args(["--", name])
        .output()
        .map_err(|e| format!("running userdel: {e}"))?;
    // 6: no such user.
    if out.status.success() || out.status.code() == Some(6) {
        Ok(())
    } else {
        Err(format!("userdel {name} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn lookup(name: &str) -> Result<Option<User>, String> {
    User::from_name(name).map_err(|e| format!("looking up user {name}: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_fit_useradd_and_systemd() {
        let n = super::user_name_for("5ee2c35e48d192e15bb42ca75f3c1bc2");
        assert_eq!(n, "dbx-5ee2c35e48d1");
        assert!(n.len() <= 31);
    }
}
