# hello-web: a one-page web UI served by the host's Python.
#
# Built without nixpkgs, so it builds offline: the derivation only writes a
# shell script. `pkgs` is accepted (the nix contract passes it) but unused.
{ pkgs ? { }, ... }:
let
  runScript = ''
    #!/bin/sh
    # Writes a page naming this pup, then serves it on port 8080.
    set -eu
    PATH=/usr/bin:/bin
    export PATH
    www=/storage/www
    mkdir -p "$www"
    cat > "$www/index.html" <<HTML
    <!doctype html>
    <html>
      <head><meta charset="utf-8"><title>hello-web</title></head>
      <body>
        <h1>Much wow, hello from a pup!</h1>
        <p>Pup id: <code>''${DBX_PUP_ID:-unknown}</code></p>
        <p>Pup IP: <code>''${DBX_PUP_IP:-unknown}</code></p>
      </body>
    </html>
    HTML
    exec /usr/bin/python3 -m http.server 8080 --bind 0.0.0.0 --directory "$www"
  '';
in
{
  web = derivation {
    name = "hello-web-0.1.0";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    inherit runScript;
    args = [
      "-c"
      ''
        set -e
        mkdir -p "$out/bin"
        printf '%s' "$runScript" > "$out/bin/run.sh"
        chmod 0555 "$out/bin/run.sh"
      ''
    ];
  };
}
