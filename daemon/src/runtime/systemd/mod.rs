//! The `systemd` runtime: nix-build, network namespaces, units over D-Bus.
