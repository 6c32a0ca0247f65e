#!/bin/sh
# Remakes the container image's locks (`make lock`), for linux x86_64 / CPython 3.11:
#   requirements/image.lock  the runtime requirements of pyproject.toml + the aws extra
#   requirements/build.lock  uv itself, which installs image.lock inside the build
# Both pinned with hashes (pip/uv --require-hashes). Existing pins are kept unless
# pyproject.toml needs others; UPGRADE=1 takes the newest releases.
# tests/aws/test_image_lock.py checks image.lock against pyproject.toml.
set -eu
cd "$(dirname "$0")/../.."
UV=${UV:-.venv/bin/uv}
target="--python-version 3.11 --python-platform x86_64-manylinux_2_28"
upgrade=${UPGRADE:+--upgrade}

header() {
    printf '# %s\n' "$1" \
        "Made by \`make lock\` (deploy/container/lock.sh, uv pip compile): edit pyproject.toml," \
        "not this file. Linux x86_64, CPython 3.11, with hashes."
}

# shellcheck disable=SC2086 # $target and $upgrade are lists of words
"$UV" pip compile pyproject.toml --extra aws $target $upgrade \
    --generate-hashes --no-header --quiet -o requirements/image.lock
# shellcheck disable=SC2086
echo "uv==$("$UV" --version | cut -d' ' -f2)" |
    "$UV" pip compile - $target --generate-hashes --no-header --no-annotate --quiet \
        -o requirements/build.lock

for lock in image build; do
    case $lock in
    image) what="The container image's dependencies: pyproject.toml's runtime requirements + the aws extra." ;;
    build) what="uv for the container build (Containerfile), the version that made image.lock." ;;
    esac
    # uv has just rewritten the file whole (reading its pins first): no old header.
    { header "$what"; cat "requirements/$lock.lock"; } >"requirements/$lock.lock.tmp"
    mv "requirements/$lock.lock.tmp" "requirements/$lock.lock"
done
