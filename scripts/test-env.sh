#!/usr/bin/env bash
# What the tests need beyond Rust, installed once and idempotently: Chromium (browser
# tests), SoftHSM2 (PKCS#11 keys), PostgreSQL running (tests that use it read
# VOUCH_TEST_DATABASE_URL and skip without it), jsonschema (metadata schema checks), and the
# npm test peers (scripts/setup-peers.sh). Run by scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    echo "test-env: please install $* (needs root)" >&2
  fi
}

command -v chromium >/dev/null || apt_install chromium
command -v softhsm2-util >/dev/null || apt_install softhsm2
# The wallet's Kotlin bindings run on the JVM in a test (wallet-core/tests/ffi_kotlin.rs):
# Maven fetches the Kotlin compiler and JNA from Maven Central.
command -v java >/dev/null || apt_install default-jdk-headless
command -v mvn >/dev/null || apt_install maven
# PostgreSQL: installed, its cluster started, and a `test` database the tests' URL names
# (postgres://postgres:postgres@127.0.0.1:5432/test; scripts/test.sh sets it). Nothing runs
# at the start of a CI machine, so this step must leave a server answering or fail loudly.
command -v pg_ctlcluster >/dev/null && ls /etc/postgresql/*/main >/dev/null 2>&1 || apt_install postgresql
if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  pg_version="$(ls /etc/postgresql | sort -V | tail -n1)"
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1 \
    || su postgres -c "createdb test"
fi
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q jsonschema
# The wallet's Python FFI test implements the platform key store and device keys with it;
# the independent cosignature and VICAL readers (tests/tlog-witness, tests/vical) too.
python3 -c "import cryptography" 2>/dev/null || python3 -m pip install -q cryptography
# The independent VICAL reader decodes CBOR with it.
python3 -c "import cbor2" 2>/dev/null || python3 -m pip install -q cbor2

# Every npm peer and browser driver the tests use: one package (tests/package.json), one npm ci.
bash scripts/setup-peers.sh
