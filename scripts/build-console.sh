#!/usr/bin/env bash
# Builds the web console into web/dist (npm run build) when it is missing or older than anything it is
# built from. web/dist is not in git: setup.sh, `npm start` and `npm test` run this, so a fresh clone
# and a tree whose console sources changed serve the console as the sources say.
set -euo pipefail
cd "$(dirname "$0")/.."
out=web/dist/index.html
if [ -f "$out" ] && [ -z "$(find web/src web/index.html web/tsconfig.json vite.config.ts package-lock.json -newer "$out" -print -quit)" ]; then
  exit 0
fi
echo "building the web console into web/dist (npm run build)"
npm run --silent build -- --logLevel warn
