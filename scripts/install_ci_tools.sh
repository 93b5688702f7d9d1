#!/usr/bin/env bash
# Install pinned releases of the supply-chain tools on an Azure Pipelines agent (GitHub Actions
# uses the vendors' pinned actions instead). Each archive is checked against the checksum list
# published with its release before anything is unpacked.
# Usage: install_ci_tools.sh DEST_DIR TOOL...   (TOOL: trivy syft cosign pulumi)
set -euo pipefail

TRIVY_VERSION=0.70.0
SYFT_VERSION=1.46.0
COSIGN_VERSION=2.5.3
PULUMI_VERSION=3.272.0 # the CLI that matches the SDK pinned in requirements.txt

dest="${1:?destination directory}"
shift
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch_checked() { # url-of-file url-of-checksum-list file-name
  curl --fail --silent --show-error --location --retry 3 --output "$work/$3" "$1"
  curl --fail --silent --show-error --location --retry 3 --output "$work/$3.sums" "$2"
  (cd "$work" && grep " \*\?$3\$" "$3.sums" | sha256sum --check --strict -)
}

for tool in "$@"; do
  case "$tool" in
    trivy)
      base="https://github.com/aquasecurity/trivy/releases/download/v$TRIVY_VERSION"
      fetch_checked "$base/trivy_${TRIVY_VERSION}_Linux-64bit.tar.gz" "$base/trivy_${TRIVY_VERSION}_checksums.txt" "trivy_${TRIVY_VERSION}_Linux-64bit.tar.gz"
      tar -xzf "$work/trivy_${TRIVY_VERSION}_Linux-64bit.tar.gz" -C "$dest" trivy ;;
    syft)
      base="https://github.com/anchore/syft/releases/download/v$SYFT_VERSION"
      fetch_checked "$base/syft_${SYFT_VERSION}_linux_amd64.tar.gz" "$base/syft_${SYFT_VERSION}_checksums.txt" "syft_${SYFT_VERSION}_linux_amd64.tar.gz"
      tar -xzf "$work/syft_${SYFT_VERSION}_linux_amd64.tar.gz" -C "$dest" syft ;;
    cosign)
      base="https://github.com/sigstore/cosign/releases/download/v$COSIGN_VERSION"
      fetch_checked "$base/cosign-linux-amd64" "$base/cosign_checksums.txt" "cosign-linux-amd64"
      install -m 0755 "$work/cosign-linux-amd64" "$dest/cosign" ;;
    pulumi)
      base="https://github.com/pulumi/pulumi/releases/download/v$PULUMI_VERSION"
      fetch_checked "$base/pulumi-v$PULUMI_VERSION-linux-x64.tar.gz" "$base/pulumi-$PULUMI_VERSION-checksums.txt" "pulumi-v$PULUMI_VERSION-linux-x64.tar.gz"
      tar -xzf "$work/pulumi-v$PULUMI_VERSION-linux-x64.tar.gz" -C "$dest" --strip-components 1 ;;
    *)
      echo "unknown tool: $tool" >&2
      exit 2 ;;
  esac
done
