#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ci-gates.sh - gates beyond the test suite that need ../shared (never part of make check):
# the data catalogs match the shared reference they were taken from.
set -eu
cd "$(dirname "$0")/.."
shared=../shared
if [ ! -d "$shared/reference" ]; then
  echo "ci-gates: ../shared not present; skipping shared-data gates"
  exit 0
fi
for f in enhanced-status-codes.tsv reply-codes.tsv provider-codes.tsv provider-hosts.tsv; do
  if ! cmp -s "data/$f" "$shared/reference/$f"; then
    echo "ci-gates: data/$f differs from ../shared/reference/$f (update deliberately and note why)"
  fi
done
echo "ci-gates: ok"
