#!/usr/bin/env bash
# img image copy against lxc image copy (a throwaway LXD 5.0.2), both from the same simplestreams
# feed served over HTTPS by nginx on 127.0.0.1 (a test CA: SSL_CERT_FILE for the LXD daemon,
# NODE_EXTRA_CA_CERTS for img), plus img image list of a remote with a cold, a warm and a
# revalidated index cache, against lxc image list. Medians of RUNS runs, interleaved; img's peak
# RSS (its own, bench/own-rss.mjs). Not a test: it prints figures; bench/README.md records them.
#   RUNS=3 bash bench/copy.sh
#   SIZE_MIB=1024 SMALL_MIB=100 PRODUCTS=2000 RUNS=5 bash bench/copy.sh
# The images (a split squashfs image whose root holds SIZE_MIB, and one of SMALL_MIB, of
# incompressible bytes, made by img publish with a fixed SOURCE_DATE_EPOCH) are built once into
# $BENCH_CACHE (default /var/tmp/img-bench). Needs nginx, openssl, curl; lxc rows need lxd and root.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-500}
SMALL_MIB=${SMALL_MIB:-100}
PRODUCTS=${PRODUCTS:-2000}   # of the listing remote, 3 versions each
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/img-bench}
EPOCH=1709251200   # 2024-03-01, SOURCE_DATE_EPOCH of every image: the same bytes on every run
for tool in nginx openssl curl; do command -v $tool >/dev/null || { echo "bench/copy.sh needs $tool" >&2; exit 2; }; done
[[ -f dist/commands/image/copy.js ]] || npm run build >/dev/null
ROOT=$(pwd)
IMG=(node "$ROOT/bin/run.js")

T=$(mktemp -d /tmp/imgbench.XXXXXX)   # short: LXD's socket path must stay short
LXD_PID= NGINX_PID=
cleanup() {
  if [[ -n $NGINX_PID ]]; then kill -TERM "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  if [[ -n $LXD_PID ]]; then kill -TERM "$LXD_PID" 2>/dev/null || true; wait "$LXD_PID" 2>/dev/null || true; fi
  awk -v p="$T/" 'index($5,p)==1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$T"
}
trap cleanup EXIT

# The images: built once per size. The metadata tarball keeps the name lxd.tar.xz on the feed
# whatever its compression, as on images.linuxcontainers.org.
build_image() {   # MIB → prints the directory holding lxd.tar.xz, root.squashfs and fingerprint
  local mib=$1 dir=$BENCH_CACHE/copy-split-squashfs-${1}MiB-v1
  if [[ ! -s $dir/fingerprint ]]; then
    echo "building a split squashfs image of $mib MiB of incompressible bytes into $dir, once…" >&2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/rootfs/etc" "$dir.tmp/out"
    echo big >"$dir.tmp/rootfs/etc/hostname"
    # AES-CTR of zeros with a fixed key: incompressible and the same bytes every time.
    head -c "${mib}M" /dev/zero | openssl enc -aes-256-ctr -nosalt -K "$(printf '%064d' 0)" -iv "$(printf '%032d' 0)" >"$dir.tmp/rootfs/data"
    cat >"$dir.tmp/metadata.yaml" <<EOF
architecture: x86_64
creation_date: $EPOCH
properties:
  architecture: amd64
  description: Spectest Big amd64 (20240301_0000)
  os: Spectest
  release: big
  serial: "20240301_0000"
  variant: default
EOF
    IMG_HOME=$dir.tmp/home SOURCE_DATE_EPOCH=$EPOCH "${IMG[@]}" publish -q --rootfs "$dir.tmp/rootfs" --metadata "$dir.tmp/metadata.yaml" \
      --format split --rootfs-format squashfs --compression gzip --output "$dir.tmp/out" >/dev/null
    mv "$dir.tmp"/out/meta-* "$dir.tmp/lxd.tar.xz"
    mv "$dir.tmp"/out/*.squashfs "$dir.tmp/root.squashfs"
    IMG_HOME=$dir.tmp/home "${IMG[@]}" image fingerprint "$dir.tmp/lxd.tar.xz" "$dir.tmp/root.squashfs" >"$dir.tmp/fingerprint"
    for f in lxd.tar.xz root.squashfs; do sha256sum "$dir.tmp/$f" | cut -d' ' -f1 >"$dir.tmp/$f.sha256"; done
    rm -rf "$dir.tmp/rootfs" "$dir.tmp/out" "$dir.tmp/home" "$dir.tmp/metadata.yaml"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}
BIG=$(build_image "$SIZE_MIB")
SMALL=$(build_image "$SMALL_MIB")
FP_BIG=$(cat "$BIG/fingerprint") FP_SMALL=$(cat "$SMALL/fingerprint")

# The feed: products spectest:big and spectest:small (aliases spectest/big, spectest/small),
# hard links to the cached files. A second feed under /many for the listing: PRODUCTS products
# × 3 versions whose items name files that do not exist (a listing reads only the products file).
FEED=$T/feed
mkdir -p "$FEED/streams/v1" "$FEED/many/streams/v1"
for v in big:$BIG small:$SMALL; do
  d=$FEED/images/spectest/${v%%:*}/amd64/default/20240301_0000
  mkdir -p "$d" && ln "${v#*:}/lxd.tar.xz" "${v#*:}/root.squashfs" "$d/" 2>/dev/null || cp "${v#*:}/lxd.tar.xz" "${v#*:}/root.squashfs" "$d/"
done
cat >"$T/feed.mjs" <<'EOF'
import {createHash} from 'node:crypto';
import {readFileSync, statSync, writeFileSync} from 'node:fs';
const [feed, big, small, nProducts] = process.argv.slice(2);
const updated = 'Fri, 01 Mar 2024 00:00:00 +0000';
const product = (release, versions) => ({
  aliases: `${release.startsWith('r') ? 'synth' : 'spectest'}/${release}`,
  arch: 'amd64',
  os: release.startsWith('r') ? 'Synth' : 'Spectest',
  release,
  release_title: release,
  variant: 'default',
  versions,
});
const items = (base, meta, root) => ({
  'lxd.tar.xz': {ftype: 'lxd.tar.xz', path: `${base}/lxd.tar.xz`, ...meta},
  'root.squashfs': {ftype: 'squashfs', path: `${base}/root.squashfs`, ...root},
});
const real = (release, dir) => {
  const base = `images/spectest/${release}/amd64/default/20240301_0000`;
  const file = (f) => ({sha256: readFileSync(`${dir}/${f}.sha256`, 'utf8').trim(), size: statSync(`${dir}/${f}`).size});
  const meta = {...file('lxd.tar.xz'), combined_squashfs_sha256: readFileSync(`${dir}/fingerprint`, 'utf8').trim()};
  return product(release, {'20240301_0000': {items: items(base, meta, file('root.squashfs'))}});
};
const streams = (dir, products) => {
  const doc = {content_id: 'images', datatype: 'image-downloads', format: 'products:1.0', updated, products};
  const index = {
    format: 'index:1.0',
    updated,
    index: {images: {datatype: 'image-downloads', format: 'products:1.0', path: 'streams/v1/images.json', updated, products: Object.keys(products).sort()}},
  };
  writeFileSync(`${dir}/streams/v1/images.json`, JSON.stringify(doc, null, 1));
  writeFileSync(`${dir}/streams/v1/index.json`, JSON.stringify(index, null, 1));
};
streams(feed, {'spectest:big:amd64:default': real('big', big), 'spectest:small:amd64:default': real('small', small)});
const digest = (s) => createHash('sha256').update(s).digest('hex');
const many = {};
for (let p = 0; p < Number(nProducts); p++) {
  const release = `r${String(p).padStart(4, '0')}`;
  const versions = {};
  for (const v of ['20240101_0000', '20240201_0000', '20240301_0000']) {
    const base = `images/synth/${release}/amd64/default/${v}`;
    const meta = {sha256: digest(`${base}/m`), size: 432 + p, combined_squashfs_sha256: digest(`${base}/fp`)};
    versions[v] = {items: items(base, meta, {sha256: digest(`${base}/r`), size: 100_000_000 + p})};
  }
  many[`synth:${release}:amd64:default`] = product(release, versions);
}
streams(`${feed}/many`, many);
EOF
node "$T/feed.mjs" "$FEED" "$BIG" "$SMALL" "$PRODUCTS"

# A test CA and a certificate for 127.0.0.1, as test/helpers/https.ts makes them.
mkdir -p "$T/ca" && (
  cd "$T/ca"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 30 -subj '/CN=img bench CA'
  openssl req "${ec[@]}" -keyout server.key -out server.csr -subj '/CN=localhost'
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 30 -extfile server.ext -out server.crt
) >/dev/null 2>&1
CA=$T/ca/ca.crt

# nginx: a throwaway configuration, in the foreground of a background job, on a free port.
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
user root;
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 256; }
http {
  access_log $T/nginx/access.log;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy; fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;
  types { application/json json; }
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 60;
  server {
    listen 127.0.0.1:$PORT ssl;
    ssl_certificate $T/ca/server.crt;
    ssl_certificate_key $T/ca/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;   # 1.22 leaves TLS 1.3 out by default, and LXD speaks nothing older
    root $FEED;
  }
}
EOF
nginx -e "$T/nginx/error.log" -p "$T/nginx" -c "$T/nginx/nginx.conf" &
NGINX_PID=$!
URL=https://127.0.0.1:$PORT
for _ in $(seq 50); do curl -sf --cacert "$CA" "$URL/streams/v1/index.json" -o /dev/null && break; sleep 0.1; done
curl -sf --cacert "$CA" "$URL/streams/v1/index.json" -o /dev/null || { echo "nginx did not start:" >&2; cat "$T/nginx/error.log" >&2; exit 1; }
# The warm-up fetch: every file once through nginx, so that both clients meet a warm page cache.
for d in "$FEED"/images/spectest/*/amd64/default/20240301_0000; do
  for f in lxd.tar.xz root.squashfs; do curl -sf --cacert "$CA" "$URL/${d#"$FEED"/}/$f" -o /dev/null; done
done

export NODE_EXTRA_CA_CERTS=$CA
export IMG_HOME=$T/home
"${IMG[@]}" remote add feed "$URL" --protocol simplestreams >/dev/null
"${IMG[@]}" remote add many "$URL/many" --protocol simplestreams >/dev/null

have_lxd=no
if command -v lxd >/dev/null && command -v lxc >/dev/null && [[ $(id -u) == 0 ]]; then
  export LXD_DIR=$T/lxd LXD_CONF=$T/lxdconf
  mkdir -p "$LXD_DIR" "$LXD_CONF"; touch "$LXD_CONF/config.yml"
  # SSL_CERT_FILE replaces the daemon's system roots with the test CA.
  SSL_CERT_FILE=$CA lxd --group root --logfile "$T/lxd.log" >/dev/null 2>&1 &
  LXD_PID=$!
  if lxd waitready --timeout=60 && lxc remote add feed "$URL" --protocol simplestreams --public >"$T/lxd-setup.log" 2>&1 &&
    lxc remote add many "$URL/many" --protocol simplestreams --public >>"$T/lxd-setup.log" 2>&1; then
    have_lxd=yes
  else
    echo "lxc image copy: skipped, the throwaway LXD daemon failed:" >&2
    tail -5 "$T/lxd-setup.log" "$T/lxd.log" >&2 || true
  fi
fi
# lxc itself (not the daemon) reads the remote for a listing, so it needs the CA too. It keeps no
# cache of it: every lxc image list fetches the index and the products file (nginx's log says so).
lxc_client() { SSL_CERT_FILE=$CA timeout 120 lxc "$@"; }

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || return 1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
num() { [[ $1 =~ ^[0-9.]+$ ]]; }
fmt() { if num "$1"; then printf '%.2f' "$1"; else echo "$1"; fi; }
took() { if num "$1"; then printf '%.2fs' "$1"; else echo failed; fi; }
ratio() { if num "$1" && num "$2" && [[ $(echo "$2 > 0" | bc) == 1 ]]; then echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; else echo n/a; fi; }

img_copy() {   # ALIAS: with img's own peak RSS left in $T/rss
  OWN_RSS_FILE=$T/rss node --import "$ROOT/bench/own-rss.mjs" "$ROOT/bin/run.js" image copy "feed:$1" local: -q
}
# A hung lxc client (it happens with 5.0.2, see test/helpers/lxd.ts) fails the run rather than the benchmark.
lxc_copy() { timeout 300 lxc image copy "feed:$1" local:; }
img_list() { "${IMG[@]}" image list many:; }

declare -A TIMES=() RSS=()
record() {   # KEY then the command; its time is also left in LAST
  local key=$1
  shift
  LAST=$(secs "$@") || LAST=fail
  TIMES[$key]+="$LAST "
}
keep_rss() {   # KEY: the largest peak RSS of img for that row
  local kib
  kib=$(tail -1 "$T/rss" 2>/dev/null || true)
  if [[ $kib =~ ^[0-9]+$ ]] && ((kib > ${RSS[$1]:-0})); then RSS[$1]=$kib; fi
  rm -f "$T/rss"
}

# One unrecorded copy by each first: both then have the feed's index in their caches (LXD keeps it
# for an hour, img for images.remote_index_ttl), as every recorded run does.
img_copy spectest/small >/dev/null && "${IMG[@]}" image delete "$FP_SMALL" >/dev/null
if [[ $have_lxd == yes ]]; then lxc_copy spectest/small >/dev/null && lxc image delete "$FP_SMALL" >/dev/null; fi

mb() { stat -c %s "$1"/lxd.tar.xz "$1"/root.squashfs | awk '{s+=$1} END {printf "%.1f", s / 1e6}'; }
echo "images: spectest/big $(mb "$BIG") MB (${FP_BIG:0:12}), spectest/small $(mb "$SMALL") MB (${FP_SMALL:0:12}); listing remote: $PRODUCTS products × 3 versions, images.json $(($(stat -c %s "$FEED/many/streams/v1/images.json") / 1000)) kB"
for r in $(seq "$RUNS"); do
  line="run $r:"
  # Who goes first alternates: a copy right after another's delete pays more for its writes (this
  # VM hands freed memory back to the hypervisor, see "Where the time goes" in bench/README.md).
  order=(img lxc)
  if ((r % 2 == 0)); then order=(lxc img); fi
  for size in big small; do
    fp=$FP_BIG
    if [[ $size == small ]]; then fp=$FP_SMALL; fi
    for tool in "${order[@]}"; do
      if [[ $tool == img ]]; then
        record "img:$size" img_copy "spectest/$size"
        keep_rss "$size"
        line+=" img $size $(took "$LAST"),"
        "${IMG[@]}" image delete "$fp" >/dev/null 2>&1 || true
      elif [[ $have_lxd == yes ]]; then
        record "lxc:$size" lxc_copy "spectest/$size"
        line+=" lxc $size $(took "$LAST"),"
        lxc image delete "$fp" >/dev/null 2>&1 || true
      fi
    done
  done
  # The listing: cold (no cache), warm (within the TTL: no request), then with images.remote_index_ttl 0
  # (a conditional GET per file, answered 304).
  rm -rf "${IMG_HOME:?}/cache"
  "${IMG[@]}" config unset images.remote_index_ttl >/dev/null 2>&1 || true
  record list:cold img_list
  line+=" img list cold $(took "$LAST")"
  record list:warm img_list
  line+=" warm $(took "$LAST")"
  "${IMG[@]}" config set images.remote_index_ttl 0 >/dev/null
  : >"$T/nginx/access.log"
  record list:reval img_list
  statuses=$(awk '{print $9}' "$T/nginx/access.log" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
  line+=" ttl 0 $(took "$LAST") (HTTP ${statuses% }),"
  if [[ $have_lxd == yes ]]; then
    record lxclist lxc_client image list many:
    line+=" lxc list $(took "$LAST")"
    record lxclist lxc_client image list many:
    line+=" $(took "$LAST")"
  fi
  echo "${line%,}"
done
med() {
  local v=${TIMES[$1]:-} vs
  if [[ -z $v ]]; then echo n/a; elif [[ $v == *fail* ]]; then echo fail; else read -ra vs <<<"$v"; median "${vs[@]}"; fi
}

echo
lxc_note="LXD $(lxd --version 2>/dev/null || echo '?')"
[[ $have_lxd == yes ]] || lxc_note="lxc: skipped (needs lxd installed and root)"
echo "runs: $RUNS, medians in seconds (warm page cache, $(nproc) CPUs, nginx $(nginx -v 2>&1 | sed 's/.*\///') over HTTPS on loopback); $lxc_note"
printf '%-26s %8s %8s %9s %9s\n' "" img lxc "lxc/img" "img RSS"
for size in big small; do
  I=$(med "img:$size") L=$(med "lxc:$size")
  mib=$SIZE_MIB
  if [[ $size == small ]]; then mib=$SMALL_MIB; fi
  rss=n/a
  if [[ -n ${RSS[$size]:-} ]]; then rss="$((RSS[$size] / 1024)) MiB"; fi
  printf '%-26s %8s %8s %9s %9s\n' "image copy ($mib MiB root)" "$(fmt "$I")" "$(fmt "$L")" "$(ratio "$L" "$I")" "$rss"
done
for k in cold warm reval; do
  label=$k
  if [[ $k == reval ]]; then label="ttl 0"; fi
  printf '%-26s %8s %8s %9s\n' "image list many: ($label)" "$(fmt "$(med "list:$k")")" "$(fmt "$(med lxclist)")" "$(ratio "$(med lxclist)" "$(med "list:$k")")"
done
echo "img: img image copy feed:spectest/<size> local: -q; lxc: lxc image copy feed:spectest/<size> local: (the daemon downloads; no storage pool)"
echo "list: img image list many: (table) with \$IMG_HOME/cache removed (cold), again (warm, within images.remote_index_ttl), with the ttl 0 (revalidated); lxc: lxc image list many: (twice a run; it keeps no cache)"
