#!/usr/bin/env bash
# Installs, from Debian's packages, every real server and client the test suites start:
# PostgreSQL, Redis, NATS, NGINX, the Docker engine (and its containerd, whose ctr is a client under test), skopeo, podman, buildah, the reference registry,
# busybox (test images), OpenLDAP (slapd, ldap-utils) for the LDAP tests, debootstrap (base images of the
# deployment suite) and kubectl (kubernetes-client) to render k8s/. Idempotent; quick when everything is present.
# With --check it installs nothing: it prints the missing packages (one line, space-separated) and
# exits 1 when any is missing (scripts/test.mjs asks this before running the suites).
set -euo pipefail
packages=(postgresql redis-server nats-server nginx docker.io containerd skopeo podman buildah docker-registry busybox-static slapd ldap-utils debootstrap docker-compose)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${1:-}" = "--check" ]; then
  command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
  echo "${missing[*]}"
  [ ${#missing[@]} -eq 0 ]
  exit
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "[infra] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The distribution's registry service is not wanted running on its default port.
systemctl disable --now docker-registry >/dev/null 2>&1 || true
pkill -f '/usr/bin/docker-registry serve /etc/docker/registry/config.yml' 2>/dev/null || true
# `kubectl kustomize` renders k8s/ for its tests: Debian's kubernetes-client, unless a kubectl is already installed.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "[infra] installing: kubernetes-client"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq kubernetes-client >/dev/null
fi
echo "[infra] system packages ready"
