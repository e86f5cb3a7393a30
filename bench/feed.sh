#!/bin/bash
# img simplestreams export of a store of N synthetic images (bench/feed-store.mjs: real records
# with their digests, tiny files), timed: the first export into an empty directory, a re-export
# of the unchanged store, and a re-export after one change (one image's release_title, which its product shows). Beside
# them, in the same run, the floor for placing the same files: `cp -al` of the store's image
# directories (hard links, as img's export makes them). Not a test: it prints figures;
# bench/README.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
T=$(mktemp -d /var/tmp/img-bench-feed.XXXXXX)
trap 'rm -rf "$T"' EXIT
[[ -f dist/commands/simplestreams/export.js ]] || npm run build >/dev/null
IMG=(node "$(pwd)/bin/run.js")
export IMG_HOME=$T/home
node bench/feed-store.mjs "$IMG_HOME" "$N"
# The store has been on disk for a while in real use: its writes must not be counted in the
# export's one syncfs.
sync
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
startup=$(secs "${IMG[@]}" simplestreams export --help)
cold=$(secs "${IMG[@]}" simplestreams export "$T/tree")
warm=$(secs "${IMG[@]}" simplestreams export "$T/tree")
fp=$(find "$IMG_HOME/images" -mindepth 1 -maxdepth 1 -printf "%f\n" -quit)
"${IMG[@]}" image set-property "$fp" release_title changed >/dev/null
one=$(secs "${IMG[@]}" simplestreams export "$T/tree")
cpal=$(secs cp -al "$IMG_HOME/images" "$T/cp-al")
products=$(node -e "console.log(Object.keys(JSON.parse(require('fs').readFileSync('$T/tree/streams/v1/images.json','utf8')).products).length)")
printf '%-44s %8s\n' "products in the tree" "$products"
printf '%-44s %8.2f s\n' "img startup (export --help)" "$startup"
printf '%-44s %8.2f s\n' "export into an empty directory" "$cold"
printf '%-44s %8.2f s\n' "re-export, store unchanged" "$warm"
printf '%-44s %8.2f s\n' "re-export after one change" "$one"
printf '%-44s %8.2f s\n' "cp -al of the store's image files (floor)" "$cpal"
