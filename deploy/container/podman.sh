#!/bin/sh
# podman the way this project runs it (make image, tests/aws/podman.py): one place
# for the flags a host may need.
#
# - CONTAINERS_CONF: deploy/container/containers.conf unless already set (no
#   default ulimits; see that file).
# - the OCI runtime: $PODMAN_RUNTIME, else runc when it is installed (crun fails
#   on cgroup v1 hosts such as CI's); PODMAN_RUNTIME= (empty) with runc missing
#   keeps podman's own default.
#
# Usage: deploy/container/podman.sh [global podman flags] COMMAND ...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
export CONTAINERS_CONF
if [ -z "${PODMAN_RUNTIME+set}" ] && command -v runc >/dev/null 2>&1; then
    PODMAN_RUNTIME=runc
fi
if [ -n "${PODMAN_RUNTIME:-}" ]; then
    exec podman --runtime "$PODMAN_RUNTIME" "$@"
fi
exec podman "$@"
