#!/usr/bin/env bash
# Copyright 2026 The dirsync Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Builds a release's artifacts into OUT_DIR, without Docker or a registry (make release):
#
#   hack/release.sh all VERSION OUT_DIR     everything below
#   hack/release.sh image VERSION OUT_DIR   only the manager images and install.yaml (test/release
#                                           rebuilds the images with this to check that they are
#                                           reproducible; CI runs the image it builds, hack/image-test.sh)
#
#   dirsync-manager-VERSION.oci.tar              the manager image for linux/amd64 and linux/arm64: an OCI
#                                                image layout with an index, for a registry
#   dirsync-manager-VERSION-linux-ARCH.tar       one platform's image, for docker load / ctr import / kind
#   dirsync-VERSION.tgz                          the Helm chart, version and appVersion VERSION
#   install.yaml                                 CRDs and everything else config/default installs
#   kubectl-dirsync-VERSION-OS-ARCH.tar.gz       the plugin for linux and darwin, amd64 and arm64
#   dirsync.yaml                                 the krew plugin manifest for those archives
#   dirsync-VERSION.spdx.json                    SPDX 2.3 SBOM of every binary and image
#   SHA256SUMS                                   of all the above
#
# The binaries are built as the Dockerfile builds the manager (CGO_ENABLED=0, -trimpath,
# -ldflags "-s -w -X …Version=VERSION"); every file and record is dated SOURCE_DATE_EPOCH (default:
# the commit's time), so the same commit gives the same image digests. Environment: IMAGE_REPO
# (ghcr.io/dirsync/dirsync), HELM (bin/helm), KUBECTL (kubectl), RELEASE_URL (where the release's
# assets are downloaded from, for the krew manifest), IMAGE_PLATFORMS (linux/amd64 linux/arm64; CI
# builds only its own).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "release: $*" >&2; exit 1; }
[[ $# -eq 3 && ($1 == all || $1 == image) ]] || die "usage: $0 all|image VERSION OUT_DIR"
WHAT=$1 VERSION=$2
# Semantic versioning without the v: the tag is v$VERSION, the chart and image tags are $VERSION.
[[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
	die "VERSION must be x.y.z (semantic versioning, no leading v), got '$VERSION'"
mkdir -p "$3"
OUT=$(cd "$3" && pwd)
IMAGE_REPO=${IMAGE_REPO:-ghcr.io/dirsync/dirsync}
HELM=${HELM:-$ROOT/bin/helm}
RELEASE_URL=${RELEASE_URL:-https://github.com/dirsync/dirsync/releases/download/v$VERSION}
read -r -a IMAGE_PLATFORMS <<<"${IMAGE_PLATFORMS:-linux/amd64 linux/arm64}"
cd "$ROOT"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
REVISION=$(git rev-parse HEAD)
[[ -z $(git status --porcelain --untracked-files=no) ]] ||
	echo "release: warning: the work tree has uncommitted changes, which the binaries include but the revision label ($REVISION) does not" >&2

# The Dockerfile's build line. GOFLAGS and GOWORK are cleared so that nothing else changes the binary,
# and -buildvcs=false leaves out the git state, as a build from the Dockerfile's context (which has no
# .git) does: the image's revision label and the SBOM record the commit instead.
LDFLAGS="-s -w -X github.com/dirsync/dirsync/internal/provider.Version=$VERSION"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dirsync-release.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
gobuild() { # OS ARCH PACKAGE OUTPUT
	echo "release: building $3 for $1/$2"
	CGO_ENABLED=0 GOOS=$1 GOARCH=$2 GOFLAGS= GOWORK=off go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$4" "$3"
}

(cd hack/tools/release && GOWORK=off GOFLAGS= go build -o "$WORK/release" .)
tool() { "$WORK/release" "$@"; }

# The manager images, and each image's digest for the SBOM.
images=() image_flags=() sbom_bins=()
for platform in "${IMAGE_PLATFORMS[@]}"; do
	os=${platform%/*} arch=${platform#*/}
	gobuild "$os" "$arch" ./cmd/manager "$WORK/manager-$os-$arch"
	images+=("$platform=$WORK/manager-$os-$arch")
	sbom_bins+=("$platform/manager=$WORK/manager-$os-$arch")
done
tool image --version "$VERSION" --repo "$IMAGE_REPO" --revision "$REVISION" --out "$OUT" "${images[@]}" | tee "$WORK/images"

echo "release: install.yaml"
hack/render.sh config/default "$IMAGE_REPO:$VERSION" >"$WORK/install.yaml"
mv "$WORK/install.yaml" "$OUT/install.yaml"
[[ $WHAT == all ]] || exit 0
while read -r file _ digest; do
	if [[ $file =~ -([a-z]+)-([a-z0-9]+)\.tar:$ ]]; then image_flags+=(--image "${BASH_REMATCH[1]}/${BASH_REMATCH[2]}=$digest"); fi
done <"$WORK/images"

# The plugin, as krew wants it: an archive per platform with the binary and the licence.
archives=()
for os in linux darwin; do
	for arch in amd64 arm64; do
		dir=$WORK/plugin-$os-$arch
		mkdir -p "$dir"
		gobuild "$os" "$arch" ./cmd/kubectl-dirsync "$dir/kubectl-dirsync"
		archive=$OUT/kubectl-dirsync-$VERSION-$os-$arch.tar.gz
		tool archive --out "$archive" "kubectl-dirsync=$dir/kubectl-dirsync" "LICENSE=$ROOT/LICENSE"
		archives+=("$os/$arch=$archive")
		sbom_bins+=("$os/$arch/kubectl-dirsync=$dir/kubectl-dirsync")
	done
done
tool krew --version "$VERSION" --url "$RELEASE_URL" --out "$OUT/dirsync.yaml" "${archives[@]}"

echo "release: the chart"
# The chart's image tag defaults to its appVersion, so the packaged chart runs this release's image.
rm -f "$OUT"/dirsync-*.tgz
"$HELM" package dist/chart --version "$VERSION" --app-version "$VERSION" --destination "$OUT" >/dev/null
[[ -f $OUT/dirsync-$VERSION.tgz ]] || die "helm package wrote no $OUT/dirsync-$VERSION.tgz"

tool sbom --version "$VERSION" --repo "$IMAGE_REPO" --out "$OUT/dirsync-$VERSION.spdx.json" "${image_flags[@]}" "${sbom_bins[@]}"

(cd "$OUT" && rm -f SHA256SUMS && "$WORK/release" sums --out SHA256SUMS -- *)
echo "release: $VERSION in $OUT:"
(cd "$OUT" && ls -l)
