#!/usr/bin/env bash
# Post a Markdown file as a pull-request comment, or update the comment this step posted before
# (found by a hidden marker), so each re-run edits one comment per report instead of adding more.
# Usage: upsert_pr_comment.sh MARKER FILE   with GH_TOKEN, GITHUB_REPOSITORY and PR_NUMBER set.
set -euo pipefail

marker="<!-- ${1:?marker} -->"
file="${2:?markdown file}"
: "${GITHUB_REPOSITORY:?}" "${PR_NUMBER:?}"
max_chars=60000 # GitHub refuses comments over 65536 characters

body="$(printf '%s\n%s' "$marker" "$(head -c "$max_chars" "$file")")"
if [ "$(wc -c <"$file")" -gt "$max_chars" ]; then
  body="$(printf '%s\n\n_(cut at %s characters: the full report is in the job summary)_' "$body" "$max_chars")"
fi

existing="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -f body="$body" >/dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -f body="$body" >/dev/null
fi
