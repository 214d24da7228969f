#!/usr/bin/env bash
# Shows that the stand-in limit tests (test/integration/stand-in-limits.test.ts)
# can fail: in a throw-away clone of HEAD, each limit in turn is raised
# 100-fold (SES's 10 MB message, a function URL's 6 MB response, Step
# Functions' 256 KB state, DynamoDB's 400 KB item) and the tests are run.
# Expected: 6 passed as committed, then at least one failure per limit.
# Your checkout is not touched.
#
#   bash scripts/limits-bite.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q "$here" "$tmp/repo"
ln -s "$here/node_modules" "$tmp/repo/node_modules"
cd "$tmp/repo"
run() {
  npx vitest run test/integration/stand-in-limits.test.ts 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' | grep -E ' FAIL |Tests ' || true
  git checkout -q -- local
}
# bite LABEL FILE EXPRESSION: the limit edited out by the sed EXPRESSION, then the tests.
bite() {
  echo "== $1 raised 100-fold ($2)"
  sed -i "$3" "$2"
  git diff --quiet && { echo 'limit not found'; exit 1; }
  run
}
echo '== as committed'
run
bite 'SES: 10 MB' local/ses.ts \
  's/if (raw.length > SES_MAX_MESSAGE_BYTES)/if (raw.length > 100 * SES_MAX_MESSAGE_BYTES)/'
bite 'function URL: 6 MB' local/function-url.ts \
  's/if (Buffer.byteLength(payload) > LAMBDA_RESPONSE_MAX_BYTES)/if (Buffer.byteLength(payload) > 100 * LAMBDA_RESPONSE_MAX_BYTES)/'
bite 'Step Functions: 256 KB' local/digest.ts \
  's/if (size <= STATE_PAYLOAD_MAX_BYTES) return;/if (size <= 100 * STATE_PAYLOAD_MAX_BYTES) return;/'
bite 'DynamoDB: 400 KB' local/stack.ts \
  's/maxItemSizeKb: DYNAMODB_MAX_ITEM_KB,/maxItemSizeKb: 100 * DYNAMODB_MAX_ITEM_KB,/'
