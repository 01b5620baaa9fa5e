#!/usr/bin/env bash
# Installs what the chart tests need into <repo>/.cache (gitignored), each only when missing:
#
#   .cache/bin/helm, .cache/bin/kubeconform       built from source with `go install` (Go module proxy)
#   .cache/k8s-json-schema/v<k8s>-local-strict/   Kubernetes JSON schemas for kubeconform, taken from
#                                                 the PyPI wheel kubernetes-validate
#
# No GitHub downloads (release binaries, kubeconform's default schema location): this must work
# where only package registries are reachable.
#
#   helm/tools/ensure-tools.sh     # prints the .cache directory on stdout, progress on stderr
#
# The first run compiles both tools (about 3.5 minutes on 2 cores, module downloads included);
# later runs are version/stamp checks only (~0.1 s). VECTORSTACK_TOOLS_CACHE moves the cache.
set -euo pipefail

HELM_VERSION="v3.21.4"
KUBECONFORM_VERSION="v0.8.0"
# kubernetes-validate ships the kubernetes-json-schema layout kubeconform reads
# (<kind>-<group>-<version>.json per Kubernetes minor, with strict variants), generated from the
# Kubernetes OpenAPI definitions. Apache-2.0. Pinned by version and wheel hash.
K8S_SCHEMA_WHEEL_VERSION="1.37.0"
K8S_SCHEMA_WHEEL_SHA256="85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
# Kubernetes versions whose schemas are extracted: Chart.yaml's kubeVersion floor and the newest
# in the wheel. The chart test validates against every extracted version.
K8S_VERSIONS="1.29.0 1.37.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache_dir="${VECTORSTACK_TOOLS_CACHE:-$repo_root/.cache}"
bin_dir="$cache_dir/bin"
schema_dir="$cache_dir/k8s-json-schema"
mkdir -p "$bin_dir" "$schema_dir"

# Tools -------------------------------------------------------------------------------------

# Installed version of a tool, or empty when it is missing/broken.
installed_version() {
  case "$1" in
    helm) "$bin_dir/helm" version --template '{{.Version}}' 2>/dev/null || true ;;
    kubeconform) "$bin_dir/kubeconform" -v 2>/dev/null || true ;;
  esac
}

ensure_tool() {
  local name="$1" module="$2" version="$3" ldflags="$4"
  if [[ "$(installed_version "$name")" == "$version" ]]; then
    return
  fi
  echo "installing $name $version from the Go module proxy (first time: minutes)" >&2
  # -trimpath keeps the binary independent of this machine's paths; CGO is not needed.
  CGO_ENABLED=0 GOBIN="$bin_dir" go install -trimpath -ldflags "$ldflags" "$module@$version" >&2
}

# `go install` does not apply the ldflags of the tools' own release builds, so set them:
# - the version variables (otherwise `helm version` says v3.x-unreleased, and the check above
#   never matches);
# - helm's default Kubernetes version for `helm template`/`lint` capabilities, which its Makefile
#   derives from the k8s.io/client-go it builds with (v0.36 for helm v3.21.4 -> 1.36). Without
#   it helm assumes v1.20, below the chart's kubeVersion.
HELM_K8S_MAJOR="1"
HELM_K8S_MINOR="36"
ensure_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" \
  "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
   -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$HELM_K8S_MAJOR \
   -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR \
   -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$HELM_K8S_MAJOR \
   -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
ensure_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" \
  "-s -w -X main.version=$KUBECONFORM_VERSION"

# Kubernetes JSON schemas -------------------------------------------------------------------
# The wheel's per-kind files reference "/api/_definitions.json#/$defs/..." (a path its own
# Python loader maps); kubeconform resolves $ref against the schema file's location, so those
# refs are rewritten to the sibling file "_definitions.json#/$defs/...". Nothing else changes.
stamp="$schema_dir/.kubernetes-validate-$K8S_SCHEMA_WHEEL_VERSION-${K8S_VERSIONS// /_}"
if [[ ! -f "$stamp" ]]; then
  echo "fetching Kubernetes JSON schemas (PyPI kubernetes-validate==$K8S_SCHEMA_WHEEL_VERSION)" >&2
  download_dir="$cache_dir/downloads"
  mkdir -p "$download_dir"
  wheel="$download_dir/kubernetes_validate-$K8S_SCHEMA_WHEEL_VERSION-py3-none-any.whl"
  if [[ ! -f "$wheel" ]]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      "kubernetes-validate==$K8S_SCHEMA_WHEEL_VERSION" -d "$download_dir" >&2
  fi
  echo "$K8S_SCHEMA_WHEEL_SHA256  $wheel" | sha256sum --check --quiet - >&2
  rm -rf "$schema_dir"/v*-local-strict
  python3 "$repo_root/helm/tools/extract-k8s-schemas.py" "$wheel" "$schema_dir" $K8S_VERSIONS >&2
  touch "$stamp"
fi

echo "$cache_dir"
