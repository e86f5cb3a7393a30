#!/usr/bin/env bash
# img image import / fingerprint against openssl dgst -sha256 and lxc image import, all on the
# same file in one run (medians of RUNS runs, interleaved so that machine noise hits all alike),
# plus img's peak RSS. Not a test: it prints figures; bench/README.md records what we measured.
#   SIZE_MIB=512 RUNS=5 bash bench/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${SIZE_MIB:-512}
RUNS=${RUNS:-5}
[[ -f dist/commands/image/import.js ]] || npm run build >/dev/null
IMG="node $(pwd)/bin/run.js"

T=$(mktemp -d /tmp/imgbench.XXXXXX)   # short: LXD's socket path must stay short
LXD_PID=
cleanup() {
  if [[ -n $LXD_PID ]]; then kill -TERM "$LXD_PID" 2>/dev/null || true; wait "$LXD_PID" 2>/dev/null || true; fi
  for m in $(awk -v p="$T/" 'index($5,p)==1 {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" || true; done
  rm -rf "$T"
}
trap cleanup EXIT

echo "building a ${SIZE_MIB} MiB unified image (metadata.yaml first, random rootfs)…"
mkdir -p "$T/src/rootfs"
printf 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: bench\n  description: bench image\n' >"$T/src/metadata.yaml"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$T/src/rootfs/blob"
tar -C "$T/src" -cf "$T/image.tar" metadata.yaml rootfs
rm -rf "$T/src"
F=$T/image.tar

have_lxd=no
if command -v lxd >/dev/null && [[ $(id -u) == 0 ]]; then
  export LXD_DIR=$T/lxd LXD_CONF=$T/lxdconf
  mkdir -p "$LXD_DIR" "$LXD_CONF"; touch "$LXD_CONF/config.yml"
  lxd --group root --logfile "$T/lxd.log" >/dev/null 2>&1 &
  LXD_PID=$!
  lxd waitready --timeout=60 && have_lxd=yes
fi

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || return 1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
o=(); p=(); i=(); m=(); l=(); s=(); c=()
for r in $(seq "$RUNS"); do
  o+=("$(secs openssl dgst -sha256 "$F")")
  s+=("$(secs sha256sum "$F")")
  rm -f "$T/copy"
  c+=("$(secs cp "$F" "$T/copy")")   # the floor for any import that copies
  rm -f "$T/copy"
  p+=("$(secs $IMG image fingerprint "$F")")
  rm -rf "$T/home"
  i+=("$(IMG_HOME=$T/home secs $IMG image import "$F")")
  rm -rf "$T/home"
  ln "$F" "$T/move.tar"   # --move takes this name away; $F stays
  m+=("$(IMG_HOME=$T/home secs $IMG image import --move "$T/move.tar")")
  if [[ $have_lxd == yes ]]; then
    l+=("$(secs lxc image import "$F")")
    lxc image list --format csv -c F | while read -r fp; do lxc image delete "$fp"; done
  fi
  echo "run $r: openssl ${o[-1]}s, img fingerprint ${p[-1]}s, img import ${i[-1]}s, --move ${m[-1]}s${l:+, lxc import ${l[-1]}s}"
done
rm -rf "$T/home"
rss_import=$({ IMG_HOME=$T/home /usr/bin/time -f '%M' $IMG image import "$F" >/dev/null; } 2>&1 | tail -1)
rss_fp=$({ /usr/bin/time -f '%M' $IMG image fingerprint "$F" >/dev/null; } 2>&1 | tail -1)

O=$(median "${o[@]}"); S=$(median "${s[@]}"); P=$(median "${p[@]}"); I=$(median "${i[@]}"); M=$(median "${m[@]}"); C=$(median "${c[@]}")
ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "file: ${SIZE_MIB} MiB plain tar, $RUNS runs, medians (warm page cache)"
printf '%-28s %8s %10s\n' "" "seconds" "x openssl"
printf '%-28s %8.2f %10s\n' "openssl dgst -sha256" "$O" "1.00"
printf '%-28s %8.2f %10s\n' "sha256sum" "$S" "$(ratio "$S" "$O")"
printf '%-28s %8.2f %10s\n' "cp (copy, no hash)" "$C" "$(ratio "$C" "$O")"
printf '%-28s %8.2f %10s\n' "img image fingerprint" "$P" "$(ratio "$P" "$O")"
printf '%-28s %8.2f %10s\n' "img image import" "$I" "$(ratio "$I" "$O")"
printf '%-28s %8.2f %10s\n' "img image import --move" "$M" "$(ratio "$M" "$O")"
if [[ $have_lxd == yes ]]; then
  L=$(median "${l[@]}")
  printf '%-28s %8.2f %10s\n' "lxc image import (LXD $(lxd --version))" "$L" "$(ratio "$L" "$O")"
  echo "img import is $(ratio "$L" "$I")x faster than lxc image import"
else
  echo "lxc image import: skipped (needs lxd installed and root)"
fi
echo "peak RSS: img image import $((rss_import / 1024)) MiB, img image fingerprint $((rss_fp / 1024)) MiB"
echo "goals: import <= 1.2x openssl, fingerprint <= 1.1x, faster than LXD, RSS < 100 MiB"
