#!/bin/sh
# As the official redis image: without a config file, reachable from other containers (no protected mode).
set -eu
if [ "${1:-}" = "redis-server" ]; then
  shift
  exec redis-server --protected-mode no "$@"
fi
exec "$@"
