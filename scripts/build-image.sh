#!/usr/bin/env bash
# Builds nsplay's container image from Debian's busybox-static: a shell, ip, ping and an httpd that
# serves a page naming the container. Tagged also as nginx:alpine so the seed's `docker run … nginx:alpine`
# works without a registry. Skips the work when the image already exists.
set -euo pipefail
IMAGE=localhost/nsplay/busybox:1
if [ -S /var/run/docker.sock ]; then rt=docker; else rt=podman; fi
command -v "$rt" >/dev/null || { echo "nsplay: no container runtime ($rt); containers will not work" >&2; exit 0; }
if $rt image exists "$IMAGE" 2>/dev/null || $rt image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,www,etc,proc,sys,dev,tmp,run,root}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cat > "$root/bin/nsplay-init" <<'INIT'
#!/bin/sh
# Default command: serve a page naming this container on port 80; stop at once on TERM.
trap 'exit 0' TERM INT
echo "hello from ${NSPLAY_NAME:-$(hostname)}" > /www/index.html
httpd -f -p 80 -h /www &
wait
INIT
chmod +x "$root/bin/nsplay-init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -cf "$work/rootfs.tar" .
echo "nsplay setup: building container image $IMAGE"
$rt import --change 'CMD ["/bin/nsplay-init"]' --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' "$work/rootfs.tar" "$IMAGE" >/dev/null
$rt tag "$IMAGE" docker.io/library/nginx:alpine
