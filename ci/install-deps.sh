#!/bin/sh
# Installs every Debian package the project needs to build, test and run its demo.
# Idempotent: does nothing when everything is present. Needs root (or sudo).
set -eu

PKGS="gcc make pkg-config libpq-dev libyaml-dev libzstd-dev zlib1g-dev libreadline-dev \
libcmocka-dev libxxhash-dev postgresql-15 postgresql-client-15 ca-certificates clang time \
python3 zstd gzip iproute2 util-linux"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "installing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: packages missing:$missing" >&2
        echo "hint: run ci/install-deps.sh as root" >&2
        exit 2
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The postgresql-common package would create and start a default cluster; the
# tests use their own throwaway clusters, so ask it not to.
if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get install -y -q --no-install-recommends $missing
