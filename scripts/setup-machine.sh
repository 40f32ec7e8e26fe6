#!/usr/bin/env bash
# Installs and starts what the tests need on a fresh Debian machine: a Docker engine and
# debootstrap (for the offline runtime image), Chromium (the web dashboard's browser test), tmux
# and iproute2.
# Safe to run again; does nothing already done.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# `ip` brings up loopback in the network namespace the packaged-install test installs in.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
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
