#!/usr/bin/env bash
# Post a Markdown report as an Azure Repos pull-request thread, or replace the text of the thread
# this step opened before (found by a hidden marker), so re-runs do not pile up comments.
# Usage: azure_pr_comment.sh MARKER FILE   in a PR build, with SYSTEM_ACCESSTOKEN set.
set -euo pipefail

marker="<!-- ${1:?marker} -->"
file="${2:?markdown file}"
api="${SYSTEM_COLLECTIONURI:?}${SYSTEM_TEAMPROJECT:?}/_apis/git/repositories/${BUILD_REPOSITORY_ID:?}/pullRequests/${SYSTEM_PULLREQUEST_PULLREQUESTID:?}/threads"
version="api-version=7.1"
auth=(--header "Authorization: Bearer ${SYSTEM_ACCESSTOKEN:?}" --header "Content-Type: application/json")
content="$(printf '%s\n%s' "$marker" "$(head -c 60000 "$file")")" # a comment holds at most 150000 characters

thread="$(curl --fail --silent --show-error "${auth[@]}" "$api?$version" |
  jq -r --arg m "$marker" '[.value[] | select((.comments[0].content // "") | startswith($m))][0].id // empty')"
if [ -n "$thread" ]; then
  jq -n --arg c "$content" '{content: $c}' |
    curl --fail --silent --show-error "${auth[@]}" --request PATCH --data @- "$api/$thread/comments/1?$version" >/dev/null
else
  jq -n --arg c "$content" '{comments: [{parentCommentId: 0, content: $c, commentType: 1}], status: 1}' |
    curl --fail --silent --show-error "${auth[@]}" --request POST --data @- "$api?$version" >/dev/null
fi
