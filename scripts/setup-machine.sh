#!/usr/bin/env bash
# Installs and starts what the tests need on a fresh Debian machine: a Docker engine and
# debootstrap (for the offline runtime image), Chromium (the web dashboard's browser test), tmux,
# iproute2, systemd (its unit verifier), and PostgreSQL (the cluster tests: a role and database
# they reach on 127.0.0.1 with a password; test/setup/postgres.ts gives each test file a database
# of its own).
# Safe to run again; does nothing already done.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# `ip` brings up loopback in the network namespace the packaged-install test installs in.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# systemd-analyze verifies the deployment recipe's units (packages/cli/test/deploy-recipe.test.ts).
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-machine: need root to install ${need[*]}; install them and run again" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-machine: the Docker engine is not running and only root can start it here" >&2
    exit 1
  fi
  nohup dockerd >/tmp/herdctl-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup-machine: dockerd did not start; see /tmp/herdctl-dockerd.log" >&2; exit 1; }
fi
echo "setup-machine: docker $(docker version --format '{{.Server.Version}}') ready"

# PostgreSQL: the Debian package's cluster, started here because nothing else starts services on
# these machines. The test role may create databases (one per test file) and nothing more; it
# signs in with a password over 127.0.0.1 (the package's pg_hba.conf default), never a socket.
# Test-only credentials: test/setup/postgres.ts holds the same ones (HERDCTL_TEST_PG_URL overrides).
PG_ROLE=herdctl_test
PG_PASSWORD=herdctl_test
read -r pg_version pg_cluster pg_port pg_status _ < <(pg_lsclusters -h | head -n 1) || true
if [ -z "${pg_version:-}" ]; then
  pg_version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  pg_createcluster "$pg_version" main >/dev/null
  read -r pg_version pg_cluster pg_port pg_status _ < <(pg_lsclusters -h | head -n 1)
fi
if [ "$pg_status" != "online" ]; then
  pg_ctlcluster "$pg_version" "$pg_cluster" start
fi
as_postgres() { runuser -u postgres -- psql -p "$pg_port" -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(as_postgres -c "select 1 from pg_roles where rolname = '$PG_ROLE'")" != "1" ]; then
  as_postgres -c "create role $PG_ROLE login createdb password '$PG_PASSWORD'"
fi
if [ "$(as_postgres -c "select 1 from pg_database where datname = '$PG_ROLE'")" != "1" ]; then
  as_postgres -c "create database $PG_ROLE owner $PG_ROLE"
fi
echo "setup-machine: postgresql $pg_version/$pg_cluster on 127.0.0.1:$pg_port ready (role $PG_ROLE)"
