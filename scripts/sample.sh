#!/bin/sh
# img's main job on the bundled sample: build an image from sample/rootfs, import it, list it,
# export it and check that the export is byte-identical, then publish it as a simplestreams tree. Uses a throwaway store unless IMG_HOME
# is set, and touches nothing else.
set -eu
cd "$(dirname "$0")/.."
img() { node bin/run.js "$@"; }
export IMG_HOME="${IMG_HOME:-$(mktemp -d "${TMPDIR:-/tmp}/img-sample.XXXXXX")}"
out=$(mktemp -d "${TMPDIR:-/tmp}/img-sample-out.XXXXXX")
export SOURCE_DATE_EPOCH=1700000000   # with --all-root: the same fingerprint on every machine

echo "== img publish: build a unified xz image from sample/rootfs (store: $IMG_HOME)"
img publish --rootfs sample/rootfs --metadata sample/metadata.yaml --templates sample/templates \
  --compression xz --all-root --alias sample --output "$out/built"
echo "== img image import: the same image from the file publish wrote"
img image delete sample
img image import "$out"/built/*.tar.xz --alias sample --public
echo "== img image list"
img image list
echo "== img image info sample"
img image info sample
echo "== img image export, then compare with what publish wrote"
mkdir -p "$out/exported"
img image export sample "$out/exported"
cmp "$out"/built/*.tar.xz "$out"/exported/*.tar.xz && echo "export is byte-identical: $(ls "$out/exported")"
echo "== img image verify"
img image verify
echo "== img simplestreams export: the public images as a static tree (with its web page), then verify it"
img simplestreams export "$out/tree" --html
img simplestreams list "$out/tree"
img simplestreams verify "$out/tree"
rm -rf "$out"
