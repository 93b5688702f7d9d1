#!/usr/bin/env bash
# Evidence of one deployed stack, kept where no one can alter it: the report joined from the offline
# check, verify's live results and Kyverno's PolicyReports, in every format with its inputs and a
# SHA256SUMS (preflight evidence), checked (evidence verify), signed with the stack's cosign KMS key
# (the key never leaves KMS) and copied to the stack's Object Lock evidence bucket, with the latest
# earlier bundles drawn as a trend. Both deploy pipelines run it after `preflight verify`.
# Usage: publish_evidence.sh STACK VERIFY_JSON
#   env: COSIGN_KMS_KEY_ARN; AWS credentials of the deploy role; the Pulumi backend logged in.
# Exit status: the evidence verdict (0 pass, 1 mandatory violation, 2 error). The bundle is signed
# and kept whatever the verdict: evidence of a failure is evidence too.
set -euo pipefail

stack="${1:?stack}"
verify="${2:?verify report (preflight verify --format json)}"
out="evidence-$stack"
history_bundles=12
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bucket="$(pulumi stack output evidenceBucketName --stack "$stack")"
cluster="$(pulumi stack output clusterName --stack "$stack")"

# What admission and Kyverno's background scans found in the cluster.
aws eks update-kubeconfig --name "$cluster" --kubeconfig "$work/kubeconfig" >/dev/null
KUBECONFIG="$work/kubeconfig" kubectl get policyreports,clusterpolicyreports -A -o json > "$work/policyreports.json"

# The latest earlier bundles of this stack (their names sort by time), for the trend.
mkdir "$work/history"
aws s3api list-objects-v2 --bucket "$bucket" --prefix "$stack/" --delimiter / \
    --query 'CommonPrefixes[].Prefix' --output text | tr '\t' '\n' | grep -v '^None$' | sort | tail -n "$history_bundles" |
  while read -r prefix; do
    aws s3 cp --recursive --only-show-errors "s3://$bucket/$prefix" "$work/history/$(basename "$prefix")"
  done

status=0
.venv/bin/python -m preflight evidence --stack "$stack" --out "$out" --verify "$verify" \
  --policy-reports "$work/policyreports.json" --history "$work/history" || status=$?
.venv/bin/python -m preflight evidence verify "$out"
# Private evidence: trust rests on the KMS key alone, nothing goes to the public transparency log.
cosign sign-blob --yes --tlog-upload=false --key "awskms:///$COSIGN_KMS_KEY_ARN" \
  --output-signature "$out/SHA256SUMS.sig" "$out/SHA256SUMS"
name="$(date -u +%Y%m%dT%H%M%SZ)"
aws s3 cp --recursive --only-show-errors "$out" "s3://$bucket/$stack/$name/"
echo "evidence bundle: s3://$bucket/$stack/$name/"
exit "$status"
