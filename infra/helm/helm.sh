#!/usr/bin/env bash
# Prints the path of a helm binary, building it from the Go module proxy the first time.
#
#   infra/helm/helm.sh            -> /root/.cache/reach/helm-v3.22.0/bin/helm
#   "$(infra/helm/helm.sh)" lint deploy/helm/reach
#
# The binary, the Go module cache and the build cache live under ~/.cache/reach
# (REACH_CACHE), so a machine builds helm once; later calls only print the path.
# Needs Go (1.24 or newer); HELM_VERSION picks another release.
set -euo pipefail

version=${HELM_VERSION:-v3.22.0}
cache=${REACH_CACHE:-$HOME/.cache/reach}
home="$cache/helm-$version"
helm="$home/bin/helm"

if [[ ! -x "$helm" ]]; then
    if ! command -v go >/dev/null; then
        echo "infra/helm/helm.sh: Go is needed to build helm $version (apt-get install golang-go)" >&2
        exit 1
    fi
    echo "infra/helm/helm.sh: building helm $version from the Go module proxy (once)..." >&2
    mkdir -p "$home"
    staging=$(mktemp -d "$home/bin.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    started=$SECONDS
    # Go's own module cache and build cache, kept beside the binary; CGO off: a static binary.
    export GOPATH="$cache/go" GOMODCACHE="$cache/go/pkg/mod" GOCACHE="$cache/go-build" \
        GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
    # As helm's own Makefile does: the default Kubernetes version of `helm template` and
    # `helm lint` is the one of the client-go it is built with (else it would be 1.20).
    gomod=$(go mod download -json "helm.sh/helm/v3@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    kube_minor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")
    [[ -n "$kube_minor" ]] || { echo "infra/helm/helm.sh: no client-go version in $gomod" >&2; exit 1; }
    ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version"
    for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
        ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kube_minor"
    done
    GOBIN="$staging" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version" >&2
    mkdir -p "$home/bin"
    mv -f "$staging/helm" "$helm"  # atomic: a concurrent caller sees no half-written file
    rm -rf "$cache/go-build"       # ~700 MB that only a rebuild would use; modules stay
    echo "infra/helm/helm.sh: built $helm in $((SECONDS - started)) s" >&2
fi

echo "$helm"
