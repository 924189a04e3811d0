#!/usr/bin/env bash
# Everything the tests need, on a fresh Debian machine, then every test.
# Installs Debian packages (PostgreSQL server for the store tests, Node.js
# for the SMPP and FHIR test peers and axe-core, SIPp and sox for the voice
# tests, Chromium and its WebDriver for the console's browser tests) when
# missing, checks format and lints, runs the tests,
# and builds the docs. The servers the tests start listen on 127.0.0.1 only
# and are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v sox >/dev/null 2>&1 || need+=(sox)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Test peers written on npm packages (installed from their lock files).
for peer in tests/peers/*/; do
  if [ -f "$peer/package-lock.json" ]; then
    (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# The flow engine's conformance corpus sits beside the checkout.
export MHERO_CONFORMANCE_DIR="${MHERO_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}"

# A clean checkout gains nothing from incremental caches; they only cost disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Most tests wait on servers, timers and browsers rather than on the CPU,
# so four at a time across all test binaries (cargo-nextest, on every
# machine of this kind) take half the time of one binary after another,
# on 2 cores. Each test starts its own servers, so none share state.
# Without nextest, cargo's own runner does the same work, slower.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast --test-threads "${MHERO_TEST_THREADS:-4}"
  cargo test --locked --doc
else
  cargo test --locked --no-fail-fast
fi
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
