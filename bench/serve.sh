#!/bin/bash
# img serve against Debian's nginx serving the same image files, in one run: download
# throughput of one large image file (SIZE_MIB, default 512) with C concurrent clients, and
# requests/s for a small file (the simplestreams index) and for an LXD API answer, measured with
# wrk (Debian's) over plain HTTP on loopback, each for DURATION seconds. Both servers get one
# worker (nginx worker_processes 1; img is one Node process), so the figures compare like with
# like on this 2-core machine, where the load generator needs the other core. Not a test: it
# prints figures; bench/README.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${SIZE_MIB:-512}
C=${C:-8}
DURATION=${DURATION:-10}
for tool in nginx wrk curl; do command -v $tool >/dev/null || { echo "bench/serve.sh needs $tool" >&2; exit 2; }; done
[[ -f dist/commands/serve.js ]] || npm run build >/dev/null
ROOT=$(pwd)
T=$(mktemp -d /var/tmp/img-bench-serve.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
export IMG_HOME=$T/home
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# One public unified image of SIZE_MIB (metadata.yaml first, then incompressible data).
mkdir -p "$T/img/rootfs"
printf 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: bench\n  release: serve\n' >"$T/img/metadata.yaml"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$T/img/rootfs/blob"
tar -C "$T/img" -cf "$T/bench.tar" metadata.yaml rootfs
fp=$(node bin/run.js image import "$T/bench.tar" --alias bench --public | grep -o '[0-9a-f]\{64\}' | head -1)

IMG_PORT=$(free_port)
node bin/run.js serve --listen "127.0.0.1:$IMG_PORT" >"$T/serve.log" 2>&1 &
PIDS+=($!)
# nginx serves the same tree img serve generates, fetched from img itself: same bytes, same paths.
mkdir -p "$T/www/streams/v1" "$T/www/files/$fp" "$T/nginx"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$IMG_PORT/streams/v1/index.json" -o "$T/www/streams/v1/index.json" && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$IMG_PORT/streams/v1/images.json" -o "$T/www/streams/v1/images.json"
ln "$IMG_HOME/images/$fp/unified" "$T/www/files/$fp/lxd_combined.tar.gz"
curl -sf "http://127.0.0.1:$IMG_PORT/1.0/images/$fp" -o "$T/www/image.json"
NGINX_PORT=$(free_port)
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log $T/nginx/access.log;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy; fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;
  types { application/json json; }
  default_type application/octet-stream;
  sendfile on;
  server { listen 127.0.0.1:$NGINX_PORT; root $T/www; }
}
CONF
nginx -e "$T/nginx/error.log" -p "$T/nginx" -c "$T/nginx/nginx.conf" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/streams/v1/index.json" -o /dev/null && break; sleep 0.1; done
cat "$IMG_HOME/images/$fp/unified" >/dev/null   # a warm page cache for both

# wrk's "Transfer/sec" and "Requests/sec", as numbers (MB/s and req/s).
rate() { wrk -t1 -c"$2" -d"${DURATION}s" "$1" | awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2; u=t; gsub(/[0-9.]/,"",u); v=t+0; if (u=="GB") v*=1024; if (u=="KB") v/=1024; if (u=="B") v/=1048576} END {printf "%.0f %.1f\n", r, v}'; }
row() {
  local what=$1 ipath=$2 npath=$3 c=$4 field=$5 unit=$6
  local i n
  i=$(rate "http://127.0.0.1:$IMG_PORT$ipath" "$c" | cut -d' ' -f"$field")
  n=$(rate "http://127.0.0.1:$NGINX_PORT$npath" "$c" | cut -d' ' -f"$field")
  printf '%-40s %12s %12s %8s\n' "$what" "$i $unit" "$n $unit" "$(echo "scale=2; $i / $n" | bc)"
}
printf '%-40s %12s %12s %8s\n' "" "img serve" "nginx" "img/nginx"
row "download ${SIZE_MIB} MiB file, c=$C" "/files/$fp/lxd_combined.tar.gz" "/files/$fp/lxd_combined.tar.gz" "$C" 2 MB/s
row "GET /streams/v1/index.json, c=64" /streams/v1/index.json /streams/v1/index.json 64 1 req/s
row "GET /1.0/images/<fp> (nginx: a file), c=64" "/1.0/images/$fp" /image.json 64 1 req/s
