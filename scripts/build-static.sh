#!/usr/bin/env bash
# Copies the browser libraries installed by npm (package-lock.json pins them) into app/static/vendor.
# The copies are build output (git-ignored); scripts/setup.sh runs this after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/bpmn-js/dist
dst=app/static/vendor/bpmn-js
if [ ! -d "$src" ]; then
  echo "bpmn-js is not installed: run npm ci first" >&2
  exit 1
fi
mkdir -p "$dst/assets"
cp "$src/bpmn-navigated-viewer.production.min.js" "$src/bpmn-modeler.production.min.js" "$dst/"
cp -r "$src/assets/." "$dst/assets/"
cp node_modules/bpmn-js/package.json "$dst/package.json"
echo "bpmn-js $(node -p "require('./node_modules/bpmn-js/package.json').version") copied to $dst"
# bpmn-js-i18n ships ES modules; the editor loads plain scripts, so its Chinese dictionary becomes a global.
i18n=node_modules/bpmn-js-i18n/translations/zn.js
if [ -f "$i18n" ]; then
  mkdir -p app/static/vendor/bpmn-js-i18n
  sed '1s/^export default /window.BpmnJsI18nZh = /' "$i18n" > app/static/vendor/bpmn-js-i18n/zh.js
  echo "bpmn-js-i18n $(node -p "require('./node_modules/bpmn-js-i18n/package.json').version") copied"
fi
