#!/usr/bin/env bash
# img publish against the shell pipeline that makes the same kind of file (tar | compressor,
# mksquashfs) and against lxc publish, all on the same tree in one run (medians of RUNS runs,
# interleaved so that machine noise hits all alike), plus img's peak RSS. Not a test: it prints
# figures; bench/README.md records what we measured.
#   RUNS=3 bash bench/publish.sh
#   TREE=/some/rootfs CODECS="none zstd" RUNS=1 bash bench/publish.sh
# The tree: $TREE if set; else a Debian 12 minbase root filesystem that mmdebstrap builds once
# into $BENCH_CACHE (default /var/tmp/img-bench); without mmdebstrap, a synthetic tree generated
# once there (10,000 files with the file sizes of that Debian tree). CODECS is a subset of
# "none zstd gzip xz bzip2 squashfs" (squashfs: a split image, squashfs rootfs, xz).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
ALL_CODECS="none zstd gzip xz bzip2 squashfs"
CODECS=${CODECS:-$ALL_CODECS}
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/img-bench}
EPOCH=1700000000   # SOURCE_DATE_EPOCH for every img publish: the same bytes on every run
for c in $CODECS; do
  [[ " $ALL_CODECS " == *" $c "* ]] || { echo "CODECS: unknown codec \"$c\" (known: $ALL_CODECS)" >&2; exit 2; }
done
[[ -f dist/commands/publish.js ]] || npm run build >/dev/null
IMG=(node "$(pwd)/bin/run.js")

T=$(mktemp -d /tmp/imgbench.XXXXXX)   # short: LXD's socket path must stay short
LXD_PID=
cleanup() {
  if [[ -n $LXD_PID ]]; then kill -TERM "$LXD_PID" 2>/dev/null || true; wait "$LXD_PID" 2>/dev/null || true; fi
  awk -v p="$T/" 'index($5,p)==1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$T"
}
trap cleanup EXIT

# A synthetic tree: N files whose sizes follow the quantiles of a Debian 12 minbase tree's 8,061
# files (below), in ~N/6.5 directories, plus ~11% symlinks (as there). Content comes in 4 KiB
# blocks, 8% random (AES-CTR with a fixed key: deterministic) and the rest text-like lines of
# pseudo-words, 60% of them repeating a recent line; measured on the tar: zstd -3 0.32, gzip -6
# 0.35, xz -6 0.28 of the input (that Debian tree: 0.32, 0.36, 0.24).
synthetic_tree() {   # DIR N
  cat >"$T/gen.mjs" <<'EOF'
import {mkdirSync, writeFileSync, symlinkSync} from 'node:fs';
import {createCipheriv} from 'node:crypto';
const [out, nArg] = process.argv.slice(2);
const N = Number(nArg), P_RANDOM = 0.08, REPEAT = 0.6, BLOCK = 4096;
// File sizes in bytes at p0, p1 … p99, p99.1 … p99.9, p100 of /tmp/debroot (mmdebstrap --variant=minbase).
const Q = [0,34,68,83,117,154,183,217,258,298,346,397,441,482,526,537,546,557,568,581,603,631,663,683,700,732,
  753,779,811,850,889,943,984,1041,1104,1162,1207,1250,1324,1389,1455,1516,1590,1654,1719,1781,1849,1941,2004,
  2081,2162,2254,2348,2441,2538,2640,2769,2914,3090,3258,3526,3732,3927,4207,4542,4825,5240,5793,6400,6909,7648,
  8246,8846,9658,10576,11990,13606,14571,15465,17018,18680,18680,18680,18988,21883,23064,26275,28754,31416,35136,
  39416,45183,52176,59976,66576,80192,104504,126824,178959,335982,355328,385062,436225,484640,629384,764192,
  1122477,1843792,2209528,4742424];
const QP = [...Array(100).keys(), 99.1, 99.2, 99.3, 99.4, 99.5, 99.6, 99.7, 99.8, 99.9, 100];
function quantile(p) {   // log-linear between the measured points
  let i = 1;
  while (QP[i] < p) i++;
  const f = (p - QP[i - 1]) / (QP[i] - QP[i - 1]), a = Math.log1p(Q[i - 1]), b = Math.log1p(Q[i]);
  return Math.round(Math.expm1(a + f * (b - a)));
}
let s = 0x9e3779b9;   // mulberry32, seeded: the same tree every time
function rnd() {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 0));
const letters = 'etaoinshrdlucmfwypvbgkjqxz';
const words = Array.from({length: 4096}, () => {
  let w = '';
  for (let i = 2 + Math.floor(rnd() * rnd() * 12); i > 0; i--) w += letters[Math.floor(letters.length * rnd() ** 2)];
  return w;
});
const recent = [];
function text(n) {
  const parts = [];
  for (let len = 0; len < n; ) {
    let line;
    if (recent.length > 8 && rnd() < REPEAT) line = recent[Math.floor(recent.length * rnd())];
    else {
      const ws = [];
      for (let k = 2 + Math.floor(rnd() * 10); k > 0; k--) ws.push(words[Math.floor(words.length * rnd() ** 3)]);
      line = ws.join(rnd() < 0.2 ? '_' : ' ') + '\n';
      recent.push(line);
      if (recent.length > 256) recent.shift();
    }
    parts.push(line);
    len += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}
function content(n) {
  const chunks = [];
  for (let off = 0; off < n; off += BLOCK) {
    const m = Math.min(BLOCK, n - off);
    chunks.push(rnd() < P_RANDOM ? cipher.update(Buffer.alloc(m)) : text(m));
  }
  return Buffer.concat(chunks);
}
const dirs = ['.'];
for (let i = 1; i < Math.round(N / 6.5); i++) {
  const parent = dirs[Math.floor(dirs.length * rnd() ** 0.7)];
  dirs.push(`${parent.split('/').length > 6 ? '.' : parent}/d${i}`);
}
mkdirSync(out, {recursive: true});
for (const d of dirs.slice(1)) mkdirSync(`${out}/${d}`, {recursive: true});
const sizes = Array.from({length: N}, (_, i) => quantile((100 * (i + 0.5)) / N));
for (let i = N - 1; i > 0; i--) {
  const j = Math.floor(rnd() * (i + 1));
  [sizes[i], sizes[j]] = [sizes[j], sizes[i]];
}
const files = sizes.map((size, i) => {
  const f = `${dirs[Math.floor(dirs.length * rnd())]}/f${i}`;
  writeFileSync(`${out}/${f}`, content(size));
  return f.slice(2);
});
for (let i = 0; i < Math.round(N * 0.108); i++) {
  const dir = dirs[Math.floor(dirs.length * rnd())];
  symlinkSync('../'.repeat(dir.split('/').length - 1) + files[Math.floor(rnd() * files.length)], `${out}/${dir}/l${i}`);
}
EOF
  node "$T/gen.mjs" "$1" "$2"
}

if [[ -n ${TREE:-} ]]; then
  [[ -d $TREE ]] || { echo "TREE=$TREE is not a directory" >&2; exit 2; }
elif command -v mmdebstrap >/dev/null; then
  TREE=$BENCH_CACHE/debian-bookworm-minbase
  if [[ ! -d $TREE ]]; then
    echo "building a Debian 12 minbase tree into $TREE with mmdebstrap, once (it fetches ~100 packages from the same package mirror apt uses)…"
    mkdir -p "$BENCH_CACHE"
    rm -rf "$TREE.tmp"
    if ! mmdebstrap --variant=minbase --include=systemd-sysv,ifupdown,iproute2 bookworm "$TREE.tmp" </dev/null >"$BENCH_CACHE/mmdebstrap.log" 2>&1; then
      echo "mmdebstrap failed; see $BENCH_CACHE/mmdebstrap.log (or set TREE=DIR)" >&2; rm -rf "$TREE.tmp"; exit 1
    fi
    mv "$TREE.tmp" "$TREE"
  fi
else
  TREE=$BENCH_CACHE/synthetic-10k-v1
  if [[ ! -d $TREE ]]; then
    echo "no mmdebstrap: generating a synthetic tree into $TREE, once (10,000 files sized like a Debian 12 minbase tree)…"
    mkdir -p "$BENCH_CACHE"
    rm -rf "$TREE.tmp"
    synthetic_tree "$TREE.tmp" 10000
    mv "$TREE.tmp" "$TREE"
  fi
fi
TREE=$(cd "$TREE" && pwd)

count() { find "$TREE" -mindepth 1 "$@" | wc -l; }
entries=$(count); files=$(count -type f); ndirs=$(count -type d); links=$(count -type l)
data=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
mb() { echo "scale=1; $1 / 1000000" | bc; }
# Warm the page cache: GNU tar reads no file data when its archive is /dev/null (even as
# stdout), so the pass goes through a pipe.
tar_bytes=$(tar -cf - -C "$TREE" . | wc -c)
echo "tree: $TREE: $entries entries ($files files, $ndirs dirs, $links symlinks, $((entries - files - ndirs - links)) other), $(mb "$data") MB of file data, $(mb "$tar_bytes") MB as tar"

have_lxd=no
if command -v lxd >/dev/null && command -v lxc >/dev/null && [[ $(id -u) == 0 ]]; then
  export LXD_DIR=$T/lxd LXD_CONF=$T/lxdconf
  mkdir -p "$LXD_DIR" "$LXD_CONF"; touch "$LXD_CONF/config.yml"
  lxd --group root --logfile "$T/lxd.log" >/dev/null 2>&1 &
  LXD_PID=$!
  # A container whose rootfs is the tree: img's uncompressed unified image of it, imported into
  # LXD and created (not started) on a dir pool.
  lxd_container() {
    local fp
    mkdir -p "$T/base" &&
      IMG_HOME=$T/basehome SOURCE_DATE_EPOCH=$EPOCH "${IMG[@]}" publish -q --rootfs "$TREE" --compression none --output "$T/base" &&
      fp=$(lxc image import "$T"/base/* | awk '/fingerprint/ {print $NF}') && [[ -n $fp ]] &&
      lxc storage create pool dir &&
      lxc profile device add default root disk path=/ pool=pool &&
      lxc init "$fp" c1 &&   # warns on stderr that c1 has no network: it is never started
      rm -rf "$T/base" "$T/basehome"
  }
  if lxd waitready --timeout=60 && lxd_container >"$T/lxd-setup.log" 2>&1; then
    have_lxd=yes
  else
    echo "lxc publish: skipped, the throwaway LXD daemon or its container failed:" >&2
    tail -5 "$T/lxd-setup.log" "$T/lxd.log" >&2 || true
  fi
fi

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || return 1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
have() { command -v "$1" >/dev/null; }
num() { [[ $1 =~ ^[0-9.]+$ ]]; }
fmt() { if num "$1"; then printf '%.2f' "$1"; else echo "$1"; fi; }
took() { if num "$1"; then printf '%.2fs' "$1"; else echo failed; fi; }
sum_sizes() { find "$@" -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }

# What each row runs. A codec's pipeline needs its tool (pigz is gzip's second pipeline).
tool_of() { case $1 in none) echo tar ;; squashfs) echo mksquashfs ;; *) echo "$1" ;; esac; }
pipe_name() {
  case $1 in
    none) echo "tar" ;;
    zstd) echo "tar | zstd -T0 -3" ;;
    gzip) echo "tar | gzip -6" ;;
    pigz) echo "tar | pigz -6" ;;
    xz) echo "tar | xz -T0 -6" ;;
    bzip2) echo "tar | bzip2 -9" ;;
    squashfs) echo "mksquashfs -comp xz" ;;
  esac
}
pipeline() {
  rm -f "$T/out"
  case $1 in
    none) tar -cf - -C "$TREE" . >"$T/out" ;;
    zstd) tar -cf - -C "$TREE" . | zstd -T0 -3 -q >"$T/out" ;;
    gzip) tar -cf - -C "$TREE" . | gzip -6 >"$T/out" ;;
    pigz) tar -cf - -C "$TREE" . | pigz -6 >"$T/out" ;;
    xz) tar -cf - -C "$TREE" . | xz -T0 -6 >"$T/out" ;;
    bzip2) tar -cf - -C "$TREE" . | bzip2 -9 >"$T/out" ;;
    squashfs) mksquashfs "$TREE" "$T/out" -comp xz -noappend -no-progress -quiet ;;
  esac
}
img_publish() {
  local args=(--compression "$1")
  if [[ $1 == squashfs ]]; then args=(--format split --rootfs-format squashfs --compression xz); fi
  rm -rf "${T:?}/home"
  OWN_RSS_FILE=$T/rss IMG_HOME=$T/home SOURCE_DATE_EPOCH=$EPOCH node --import "$(pwd)/bench/own-rss.mjs" "$(pwd)/bin/run.js" publish -q --rootfs "$TREE" "${args[@]}"
}
lxc_publish() { lxc publish c1 --alias x --compression "$1"; }

# Per row (img:C, pipe:C, lxc:C): the times of its runs ("fail" for a run that failed); the
# largest RSS of img per codec; output sizes of the last run.
declare -A TIMES=() RSS=() SIZE=()
record() {   # KEY then the command; its time is also left in LAST
  local key=$1
  shift
  LAST=$(secs "$@") || LAST=fail
  TIMES[$key]+="$LAST "
}
for r in $(seq "$RUNS"); do
  for c in $CODECS; do
    record "img:$c" img_publish "$c"
    line="run $r $c: img $(took "$LAST")"
    SIZE[img:$c]=$(sum_sizes "$T/home/images")
    if [[ $LAST != fail && -s $T/rss ]]; then
      kib=$(tail -1 "$T/rss")
      if [[ $kib =~ ^[0-9]+$ ]] && (( kib > ${RSS[$c]:-0} )); then RSS[$c]=$kib; fi
    fi
    rm -rf "${T:?}/home" "$T/rss"
    pipes=("$c")
    if [[ $c == gzip ]]; then pipes+=(pigz); fi
    for p in "${pipes[@]}"; do
      if have "$(tool_of "$p")"; then
        record "pipe:$p" pipeline "$p"
        line+=", $(pipe_name "$p") $(took "$LAST")"
        SIZE[pipe:$p]=$(sum_sizes "$T/out")
        rm -f "$T/out"
      fi
    done
    if [[ $have_lxd == yes && $c != squashfs ]]; then
      record "lxc:$c" lxc_publish "$c"
      line+=", lxc publish $(took "$LAST")"
      lxc image delete x >/dev/null 2>&1 || true
    fi
    echo "$line"
  done
done

# A row's median, or n/a (never run) or fail (some run failed).
med() {
  local v=${TIMES[$1]:-} vs
  if [[ -z $v ]]; then echo n/a; elif [[ $v == *fail* ]]; then echo fail; else read -ra vs <<<"$v"; median "${vs[@]}"; fi
}
ratio() { if num "$1" && num "$2" && [[ $(echo "$2 > 0" | bc) == 1 ]]; then echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; else echo n/a; fi; }
size_mb() { if [[ -n ${SIZE[$1]:-} && ${SIZE[$1]} != 0 ]]; then mb "${SIZE[$1]}"; else echo n/a; fi; }

echo
lxc_note="lxc publish: LXD $(lxd --version 2>/dev/null || echo '?')"
[[ $have_lxd == yes ]] || lxc_note="lxc publish: skipped (needs lxd installed and root)"
echo "runs: $RUNS, medians in seconds (warm page cache, $(nproc) CPUs); $lxc_note"
fmt_row='%-9s %7s  %-28s %7s %8s %7s %8s %8s %8s %8s\n'
# shellcheck disable=SC2059
printf "$fmt_row" codec img pipeline pipe img/pipe lxc img/lxc "img MB" "pipe MB" "img RSS"
for c in $CODECS; do
  pipes=("$c")
  if [[ $c == gzip ]]; then pipes+=(pigz); fi
  for p in "${pipes[@]}"; do
    I=$(med "img:$c"); P=$(med "pipe:$p"); L=$(med "lxc:$c")
    pname=$(pipe_name "$p")
    have "$(tool_of "$p")" || pname+=" (no $(tool_of "$p"))"
    label=$c
    if [[ $c == squashfs ]]; then label="sqfs xz"; fi
    rss=n/a
    if [[ -n ${RSS[$c]:-} ]]; then rss="$((RSS[$c] / 1024)) MiB"; fi
    # shellcheck disable=SC2059
    printf "$fmt_row" "$label" "$(fmt "$I")" "$pname" "$(fmt "$P")" "$(ratio "$I" "$P")" "$(fmt "$L")" "$(ratio "$I" "$L")" \
      "$(size_mb "img:$c")" "$(size_mb "pipe:$p")" "$rss"
  done
done
echo "img: img publish (unified; sqfs xz: --format split --rootfs-format squashfs --compression xz), SOURCE_DATE_EPOCH=$EPOCH"
echo "img MB: all files of the image (a split one: metadata tarball + squashfs); img RSS: the node process alone (its peak, from bench/own-rss.mjs), not the tools it runs"
