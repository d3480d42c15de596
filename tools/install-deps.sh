#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install-deps.sh - install rebound's build and test dependencies on Debian 12 (as root).
# Idempotent; used by the README quickstart and by .ci/run.
set -eu
PKGS="build-essential cmake ninja-build pkg-config python3 libhyperscan-dev zlib1g-dev \
libsqlite3-dev libjansson-dev libgmime-3.0-dev libmicrohttpd-dev libunbound-dev libevent-dev nsd openssl libpq-dev postgresql postgresql-server-dev-15 clang-14 \
libclang-rt-14-dev clang-format-14 cppcheck time bc libsisimai-perl pflogsumm chromium"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
fi
