#!/bin/sh
# Lays out the runtime tree of one process (used by the Dockerfile's `assemble` stage).
#
#   assemble.sh <build-root> <app-root> <service> <entry>
#
# <app-root> already holds the production node_modules and every workspace package.json
# (from the prod-deps stage). This adds every lib's dist/, the service's dist/, drops the other
# services, and points <app-root>/entry.js at services/<service>/dist/<entry>.
set -eu

build_root="$1"
app_root="$2"
service="${3:-}"
entry="${4:-main.js}"

if [ -z "$service" ]; then
  echo "build with --build-arg SERVICE=<folder under services/>" >&2
  exit 1
fi
if [ ! -d "$build_root/services/$service" ]; then
  echo "unknown SERVICE '$service' (no services/$service)" >&2
  exit 1
fi

cd "$app_root"
for lib in "$build_root"/libs/*/; do
  name="$(basename "$lib")"
  if [ -d "$lib/dist" ]; then
    rm -rf "libs/$name/dist"
    cp -R "$lib/dist" "libs/$name/dist"
  fi
done
rm -rf "services/$service/dist"
cp -R "$build_root/services/$service/dist" "services/$service/dist"

# Other services are not part of this image. Their workspace links in node_modules/@vectorstack/
# are left dangling; nothing resolves them (a service never imports another service).
find services -mindepth 1 -maxdepth 1 ! -name "$service" -exec rm -rf {} +

if [ ! -f "services/$service/dist/$entry" ]; then
  echo "services/$service/dist/$entry does not exist: wrong ENTRY, or the build produced nothing" >&2
  exit 1
fi
# A fixed path for CMD (exec form cannot expand build args). Node resolves the symlink to its
# real path, so relative requires inside dist/ work as usual.
ln -sf "services/$service/dist/$entry" entry.js
