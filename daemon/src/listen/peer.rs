//! Who may use the CLI socket: root, the daemon's own user, and members of the
//! `dogebox` group. The socket file's mode (0660, group dogebox) says the same;
//! checking SO_PEERCRED as well means a wrong mode on disk cannot open it up.

use nix::unistd::{Gid, Group, Uid, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerCred {
    pub uid: u32,
    pub gid: u32,
    pub pid: Option<i32>,
}

#[derive(Debug)]
pub struct PeerPolicy {
    own_uid: u32,
    group: Option<Gid>,
}

pub const ADMIN_GROUP: &str = "dogebox";

impl PeerPolicy {
    pub fn from_system() -> Self {
        let group = Group::from_name(ADMIN_GROUP).ok().flatten().map(|g| g.gid);
        PeerPolicy { own_uid: Uid::effective().as_raw(), group }
    }

    pub fn group(&self) -> Option<Gid> {
        self.group
    }

    pub fn allows(&self, peer: &PeerCred) -> bool {
        if peer.uid == 0 || peer.uid == self.own_uid {
            return true;
        }
        let Some(gid) = self.group else { return false };
        if peer.gid == gid.as_raw() {
            return true;
        }
        // Supplementary groups of the peer's user.
        match User::from_uid(Uid::from_raw(peer.uid)) {
            Ok(Some(user)) => Group::from_gid(gid)
                .ok()
                .flatten()
                .is_some_and(|g| g.mem.contains(&user.name)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_self_allowed_strangers_not() {
        let p = PeerPolicy { own_uid: 1234, group: None };
        assert!(p.allows(&PeerCred { uid: 0, gid: 0, pid: None }));
        assert!(p.allows(&PeerCred { uid: 1234, gid: 5, pid: None }));
        assert!(!p.allows(&PeerCred { uid: 999, gid: 999, pid: None }));
        let g = PeerPolicy { own_uid: 1234, group: Some(Gid::from_raw(77)) };
        assert!(g.allows(&PeerCred { uid: 999, gid: 77, pid: None }));
    }
}
