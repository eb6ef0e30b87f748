# doge-ticker: a background service without a web UI. Every few seconds it
# appends a line to /storage/ticks.log and prints it (see `dogebox pup logs`).
#
# Built without nixpkgs, so it builds offline. `pkgs` is accepted but unused.
{ pkgs ? { }, ... }:
let
  tickerScript = ''
    #!/bin/sh
    set -eu
    PATH=/usr/bin:/bin
    export PATH
    log=/storage/ticks.log
    n=0
    say() { echo "$1"; echo "$1" >> "$log"; }
    say "$(date -u +%Y-%m-%dT%H:%M:%SZ) doge-ticker started (pup ''${DBX_PUP_ID:-unknown})"
    while :; do
      n=$((n + 1))
      say "$(date -u +%Y-%m-%dT%H:%M:%SZ) tick $n: such time, very passing"
      sleep 5
    done
  '';
in
{
  ticker = derivation {
    name = "doge-ticker-0.1.0";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    inherit tickerScript;
    args = [
      "-c"
      ''
        set -e
        mkdir -p "$out/bin"
        printf '%s' "$tickerScript" > "$out/bin/ticker"
        chmod 0555 "$out/bin/ticker"
      ''
    ];
  };
}
