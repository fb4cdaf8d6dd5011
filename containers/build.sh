#!/usr/bin/env bash
# Build the project's images from the lock files, with podman or docker:
#   make images                  # both JAX images
#   make images IMAGES=cpu       # one of them (cpu, cuda12)
#   make images IMAGES=sentence-transformers   # the optional embedders' image (GBs)
# Tags: free-embedding/jax-<image>:<jax version>, and
# free-embedding/sentence-transformers:<its version>. See containers/README.md for
# pushing them, or turning them into .sif files, and pointing config.yaml at them.
# Where no registry can be reached, the Debian base is bootstrapped locally
# (debootstrap, as root) and imported under the name the Dockerfiles use.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${ENGINE:-$(command -v podman || command -v docker || true)}
if [ -z "$engine" ]; then
    echo "make images: needs podman or docker on PATH (or ENGINE=/path/to/one)" >&2
    exit 2
fi
base=docker.io/library/debian:bookworm-slim

# pip inside the build trusts what the host's pip trusts (a site CA bundle),
# passed as a build secret: used by the install step, never stored.
cert=${PIP_CERT:-$(python3 -m pip config get global.cert 2>/dev/null || true)}
secret=()
if [ -n "$cert" ] && [ -s "$cert" ]; then
    secret=(--secret "id=pip-cert,src=$cert")
fi

if ! "$engine" image inspect "$base" >/dev/null 2>&1 \
    && ! "$engine" pull "$base" >/dev/null 2>&1; then
    echo "images: $base cannot be pulled; bootstrapping it with debootstrap" >&2
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >&2
    tar -C "$rootfs" -c . | "$engine" import - "$base"
fi

for image in ${IMAGES:-cpu cuda12}; do
    case $image in
        cpu | cuda12) name=jax-$image lock=requirements.lock package=jax ;;
        sentence-transformers) name=$image lock=requirements-st.lock package=$image ;;
        *)
            echo "images: unknown image $image (cpu, cuda12, sentence-transformers)" >&2
            exit 2
            ;;
    esac
    tag=free-embedding/$name:$(sed -n "s/^$package==//p" "$lock")
    echo "images: building $tag" >&2
    "$engine" build "${secret[@]}" -f "containers/$name/Dockerfile" -t "$tag" .
done
