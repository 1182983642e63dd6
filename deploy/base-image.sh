#!/usr/bin/env bash
# Builds the NodeMesh image where no container registry is reachable:
#   1. a local Debian base image: debootstrap --variant=minbase bookworm into a folder, docker import
#      (only Debian's package mirror is needed), with fonts so that plots have their text;
#   2. a self-contained `dotnet publish -r linux-x64` of the CLI on the host;
#   3. the NodeMesh image on that base (deploy/Dockerfile.prebuilt), tagged nodemesh:local — the tag
#      docker-compose.yml uses.
# Usage (root, or a user in the docker group with sudo for debootstrap):
#   deploy/base-image.sh            # builds nodemesh-base:bookworm (once) and nodemesh:local
#   NODEMESH_MIRROR=http://deb.debian.org/debian deploy/base-image.sh
# Re-running skips the base image when it exists (delete it with `docker rmi nodemesh-base:bookworm`).
set -euo pipefail
cd "$(dirname "$0")/.."
mirror="${NODEMESH_MIRROR:-http://deb.debian.org/debian}"
base="${NODEMESH_BASE_IMAGE:-nodemesh-base:bookworm}"
image="${NODEMESH_IMAGE:-nodemesh:local}"

command -v docker >/dev/null || { echo "error: docker is not installed (sudo apt-get install docker.io docker-compose)" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "error: the Docker daemon is not reachable (start it: sudo dockerd &, or sudo systemctl start docker)" >&2; exit 2; }

if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { echo "error: debootstrap is not installed (sudo apt-get install debootstrap)" >&2; exit 2; }
  root="$(mktemp -d "${TMPDIR:-/tmp}/nodemesh-rootfs.XXXXXX")"
  trap 'rm -rf "$root" "$root.log"' EXIT
  echo "== debootstrap bookworm (minbase) into $root from $mirror"
  debootstrap --variant=minbase --include=fonts-dejavu-core,fontconfig,libstdc++6,zlib1g,libfontconfig1,libssl3,ca-certificates \
    bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  echo "== docker import $base"
  tar -C "$root" -c . | docker import -c 'ENV LANG=C.UTF-8' - "$base" >/dev/null
fi

echo "== dotnet publish (self-contained, linux-x64)"
rm -rf deploy/out
dotnet publish src/NodeMesh.Cli/NodeMesh.Cli.csproj -c Release -r linux-x64 --self-contained true -o deploy/out/nodemesh -v q -nologo

echo "== docker build $image on $base"
docker build -q -f deploy/Dockerfile.prebuilt --build-arg BASE_IMAGE="$base" -t "$image" deploy/out/nodemesh >/dev/null
echo "built $image"
