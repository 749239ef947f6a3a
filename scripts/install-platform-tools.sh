#!/usr/bin/env bash
# Installs what `npm run build:target` and `npm run test:platforms` need on a Debian x64 machine,
# from the registries only (PyPI, the Rust targets through rustup, Debian's packages), skipping
# what is already there:
#   cargo-zigbuild + ziglang (PyPI)   Linux cross builds; glibc 2.17 for the gnu targets
#   the Rust targets                  aarch64/x86_64 Linux gnu and musl, x86_64-pc-windows-gnu
#   qemu-user-static                  runs Node.js for arm64 ...
#   libc6-arm64-cross, libstdc++6-arm64-cross, libatomic1-arm64-cross
#                                     ... with Debian's arm64 libraries as its sysroot (Node 26 needs libatomic)
#   mingw-w64                         links x86_64-pc-windows-gnu
#   wine64                            runs Windows' node.exe
# apt-get needs root; without it, the missing Debian packages are listed and the script fails.
set -euo pipefail

started=$SECONDS

if ! command -v cargo-zigbuild >/dev/null 2>&1 || ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "Installing cargo-zigbuild and ziglang from PyPI ..."
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'cargo-zigbuild==0.24.*' 'ziglang==0.17.*'
fi

targets=(aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu)
missing_targets=()
for target in "${targets[@]}"; do
  rustup target list --installed | grep -qx "$target" || missing_targets+=("$target")
done
if [ ${#missing_targets[@]} -gt 0 ]; then
  echo "Adding Rust targets ${missing_targets[*]} ..."
  rustup target add "${missing_targets[@]}" >/dev/null
fi

packages=(qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross mingw-w64 wine64)
missing_packages=()
for package in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || missing_packages+=("$package")
done
if [ ${#missing_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing Debian packages (apt-get install as root): ${missing_packages[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing_packages[*]} from Debian ..."
  log=$(mktemp)
  # The network part (index update, download) runs under a time budget; unpacking does not, so
  # dpkg is never killed halfway.
  apt_net=(-o Acquire::Retries=3 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30)
  if ! { timeout 300 apt-get "${apt_net[@]}" update -qq &&
    timeout 900 apt-get "${apt_net[@]}" install -y -qq --download-only "${missing_packages[@]}" &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing_packages[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "Could not install ${missing_packages[*]} (log above)." >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi

echo "Platform tools ready in $((SECONDS - started)) s: cargo-zigbuild $(cargo-zigbuild --version | awk '{print $2}'), zig $(python3 -m ziglang version), $(qemu-aarch64-static --version | head -n1), $(/usr/lib/wine/wine64 --version)"
