#!/bin/sh
# A local RTMP server to watch a push: nginx with its rtmp module, in the foreground, on loopback.
#   sh tools/rtmp-server.sh [PORT]        (default 1935; Ctrl-C stops it)
# then: smartlive push ROOM.json --url rtmp://127.0.0.1:PORT/live --key demo
#       ffplay rtmp://127.0.0.1:PORT/live/demo
set -e
PORT=${1:-1935}
MODULE=${NGINX_RTMP_MODULE:-/usr/lib/nginx/modules/ngx_rtmp_module.so}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is missing: make setup (or apt-get install nginx-light libnginx-mod-rtmp)" >&2; exit 1; }
[ -e "$MODULE" ] || { echo "the nginx rtmp module is missing: apt-get install libnginx-mod-rtmp" >&2; exit 1; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT INT TERM
USER_LINE=""; [ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat > "$DIR/nginx.conf" <<CONF
$USER_LINE
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid $DIR/nginx.pid;
load_module $MODULE;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$PORT; chunk_size 4096; application live { live on; record off; } } }
CONF
echo "RTMP server on rtmp://127.0.0.1:$PORT/live (Ctrl-C stops it)"
"$NGINX" -c "$DIR/nginx.conf" -p "$DIR" -e stderr
