// The text of a session's `docker` command (see store.ts). Pure: every value put into it is checked by
// the caller (session id, PID, plain paths) and single-quoted here.

export interface ShimOptions {
  sessionId: string;
  dir: string;
  holderPid: number;
  runtime: 'docker' | 'podman';
  /** Tests only: what runs in place of the runtime (e.g. a printer of its argv). */
  execInstead?: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// Subcommands that only touch the session's own store or its containers. Everything else (network,
// system, pull, build, login, pod, …) could reach the machine's configuration or a registry.
const ALLOWED = [
  'run', 'create', 'start', 'stop', 'restart', 'kill', 'rm', 'ps', 'inspect', 'exec', 'logs', 'top', 'images',
  'image', 'container', 'pause', 'unpause', 'wait', 'port', 'stats', 'cp', 'attach', 'rename', 'diff', 'events',
  'version', 'info', 'help', '--help', '-h', '--version', '-v', 'volume',
];

export function shimScript(o: ShimOptions): string {
  const runtimeArgv = o.runtime === 'podman'
    ? `nsenter -t "$holder" -m -n -- env CONTAINERS_STORAGE_CONF="$dir/containers/storage.conf" podman --runtime runc --cgroup-manager cgroupfs`
    : 'docker';
  const runDefaults = o.runtime === 'podman'
    ? '--pull=never --cap-add NET_RAW --ulimit nofile=20000:20000 --ulimit nproc=1000:1000'
    : '--cap-add NET_RAW';
  return `#!/bin/bash
# docker in nsplay session ${o.sessionId}: ${o.runtime === 'podman'
    ? 'Podman with this session\'s own container store (names are the session\'s, images are read-only\n# from the machine\'s store), always inside the session\'s namespaces.'
    : 'the machine\'s Docker engine; containers are labelled with the session and removed with it.'}
# Like Docker: CAP_NET_RAW (ping works), \`remove\` = \`rm\`. Unlike Docker: no docker0 and no registry in
# the sandbox, so a container starts with --network none unless you say ${o.runtime === 'podman' ? 'host (the session\'s host) or ' : ''}container:NAME.
set -u
dir=${q(o.dir)}
holder=${q(String(o.holderPid))}
session=${q(o.sessionId)}
if [ "$(tr '\\0' '\\n' < "/proc/$holder/cmdline" 2>/dev/null | head -n 1)" != "nsplay-holder:$dir" ]; then
  echo "docker (nsplay): session $session has ended; reset or reopen the lab" >&2
  exit 125
fi
say_no() { echo "docker (nsplay): $*" >&2; exit 125; }
[ $# -gt 0 ] || set -- help
case "$1" in
  remove) shift; set -- rm "$@" ;;
  container) [ "\${2:-}" = remove ] && { shift 2; set -- container rm "$@"; } ;;
  image) case "\${2:-}" in ls|list|inspect|exists|history|tree|'') ;; *) say_no "'docker image \${2:-}' is not available in the sandbox (no registry, shared read-only images)" ;; esac ;;
esac
case " ${ALLOWED.join(' ')} " in
  *" $1 "*) ;;
  *) say_no "'docker $1' is not available in the sandbox: there is no registry and no docker0 here; the image is nginx:alpine (nsplay's busybox)" ;;
esac
if [ "$1" = run ] || [ "$1" = create ] || { [ "$1" = container ] && { [ "\${2:-}" = run ] || [ "\${2:-}" = create ]; }; }; then
  pre=("$1"); shift
  [ "\${pre[0]}" = container ] && { pre+=("$1"); shift; }
  network=
  prev=
  for a in "$@"; do
    case "$a" in
      --network=*|--net=*) network="\${a#*=}" ;;
      *) case "$prev" in --network|--net) network="$a" ;; esac ;;
    esac
    prev="$a"
  done
  case "$network" in
    '') set -- "\${pre[@]}" --network none "$@" ;;
    ${o.runtime === 'podman' ? 'none|host|container:*' : 'none|container:*'}) set -- "\${pre[@]}" "$@" ;;
    *) say_no "--network $network: the sandbox has no docker networks; use --network none and wire the container yourself (labs 6-8)" ;;
  esac
  first=("\${@:1:\${#pre[@]}}")
  rest=("\${@:\${#pre[@]}+1}")
  set -- "\${first[@]}" ${runDefaults} --label "nsplay.session=$session" "\${rest[@]}"
fi
runtime() { ${o.execInstead ?? runtimeArgv} "$@"; }
if [ "$1" = stop ] || [ "$1" = kill ]; then
  # Docker removes a --rm container once it stopped; Podman 4.3 can miss it when its cleanup races
  # the stop command's own, so finish the job.
  runtime "$@"
  status=$?
  runtime ps -a --filter status=exited --format '{{.ID}} {{.AutoRemove}}' 2>/dev/null | while read -r id auto; do
    [ "$auto" = true ] && runtime rm -f "$id" >/dev/null 2>&1
  done
  exit $status
fi
exec ${o.execInstead ?? runtimeArgv} "$@"
`;
}
