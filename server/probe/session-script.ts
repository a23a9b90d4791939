// Many namespaces of a session with one process: a bash script run in the session's holder (its mount
// and network namespaces, so /run/netns is the session's own), entering each namespace with
// `nsenter --net` (a network namespace only: no mount-namespace copy or sysfs remount). Spawning from
// Node costs far more than a fork inside bash, so a matrix or a probe spawns a handful of processes
// instead of several per namespace. The scripts are constants: namespace names and argv arrive as
// arguments and are only ever used quoted ("$ns", "${argv[@]}").
import { parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseNetnsIds } from '../observe/parse-ip.ts';
import { parseIptablesSave } from '../observe/parse-iptables.ts';
import { parseListeningPorts } from '../observe/parse-ss.ts';
import { parseSysctlOutput } from '../observe/observe.ts';
import type { NamespaceState } from '../observe/types.ts';
import type { Engine } from '../session/types.ts';
import { runIn } from './helpers.ts';

// $1 = comma-separated sysctl keys; then `--every FLAGS` (host and every namespace in /run/netns) or
// pairs FLAGS NAME. FLAGS: b = the `ip -j -d` batch (links, routes, rules, neighbours, netns ids),
// i = iptables-save, c = sysctls, s = listening TCP ports. Every namespace is read at once, each into
// its own pipe (process substitution), and one `cat` prints the pipes in order: no output is mixed,
// and on a busy machine many small jobs at once get their share of the CPU where a loop would wait.
export const READ_SCRIPT = `
keys="$1"; shift
IFS=, read -r -a sysctls <<< "$keys"
if [ "$1" = --every ]; then
  flags="$2"; args=("$flags" host)
  for f in /run/netns/*; do [ -e "$f" ] && args+=("$flags" "\${f##*/}"); done
  set -- "\${args[@]}"
fi
one() {
  local flags="$1" ns="$2" in=()
  [ "$ns" = host ] || in=(nsenter "--net=/run/netns/$ns" --)
  echo "@@ns $ns"
  if [[ $flags == *b* ]]; then echo "@@batch"; printf 'addr show\\nroute show table all\\nrule show\\nneigh show\\nnetns list-id\\n' | "\${in[@]}" ip -d -j -batch - 2>/dev/null; fi
  if [[ $flags == *i* ]]; then echo "@@iptables"; "\${in[@]}" iptables-save 2>/dev/null; fi
  if [[ $flags == *s* ]]; then echo "@@ss"; "\${in[@]}" ss -Hltn 2>/dev/null; fi
  if [[ $flags == *c* ]] && [ \${#sysctls[@]} -gt 0 ]; then echo "@@sysctl"; "\${in[@]}" sysctl "\${sysctls[@]}" 2>/dev/null; fi
}
pipes=()
while [ $# -ge 2 ]; do
  exec {fd}< <(one "$1" "$2")
  pipes+=("/dev/fd/$fd"); shift 2
done
[ \${#pipes[@]} -gt 0 ] && cat "\${pipes[@]}"
echo "@@end"
`;

/** What to read in a namespace. */
export interface ReadFlags { batch?: boolean; iptables?: boolean; sysctls?: boolean; listening?: boolean }

function flagString(f: ReadFlags): string {
  return `-${f.batch ? 'b' : ''}${f.iptables ? 'i' : ''}${f.sysctls ? 'c' : ''}${f.listening ? 's' : ''}`;
}

/** The parts of a NamespaceState one read produced (absent: not read). */
export type PartialState = { node: string } & Partial<Omit<NamespaceState, 'node'>>;

/** The script's output → one partial state per namespace that printed a block. Pure. */
export function parseReadOutput(text: string): PartialState[] {
  const out: PartialState[] = [];
  for (const block of text.split(/^@@ns /m).slice(1)) {
    const nl = block.indexOf('\n');
    const node = (nl < 0 ? block : block.slice(0, nl)).trim();
    const sec: Record<string, string> = {};
    let key = '';
    for (const line of (nl < 0 ? '' : block.slice(nl + 1)).split('\n')) {
      const m = /^@@([a-z]+)$/.exec(line);
      if (m) { key = m[1]; sec[key] = ''; continue; }
      if (key) sec[key] += `${line}\n`;
    }
    const s: PartialState = { node };
    if (sec.batch !== undefined) {
      const [addr = '', route = '', rule = '', neigh = '', ids = ''] = sec.batch.split('\n');
      if (!addr.trim()) continue; // gone between listing and reading (every namespace has lo)
      Object.assign(s, { links: parseIpAddrJson(addr), routes: parseIpRouteJson(route), rules: parseIpRuleJson(rule), neighbors: parseIpNeighJson(neigh), netnsIds: parseNetnsIds(ids) });
    }
    if (sec.iptables !== undefined) s.iptables = parseIptablesSave(sec.iptables);
    if (sec.ss !== undefined) s.listening = parseListeningPorts(sec.ss);
    if (sec.sysctl !== undefined) s.sysctls = parseSysctlOutput(sec.sysctl);
    out.push(s);
  }
  return out;
}

/**
 * Reads namespaces of a session in one process: `every` = host and every namespace the session has
 * (drawn or made by hand), each with the same flags; or a list of (node, flags).
 */
export async function readNamespaces(engine: Engine, id: string, what: { every: ReadFlags } | { nodes: { node: string; flags: ReadFlags }[] }, sysctlKeys: string[] = []): Promise<PartialState[]> {
  const targets = 'every' in what ? ['--every', flagString(what.every)] : what.nodes.flatMap((t) => [flagString(t.flags), t.node]);
  if ('nodes' in what && what.nodes.length === 0) return [];
  const argv = ['bash', '-c', READ_SCRIPT, 'nsplay-read', sysctlKeys.join(','), ...targets];
  const r = await runIn(engine, id, 'host', argv, { timeoutMs: 20_000 });
  if (!r.stdout.trimEnd().endsWith('@@end')) {
    throw new Error(`could not read the session's namespaces (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  }
  return parseReadOutput(r.stdout);
}

// Jobs: NODE ARGC ARG…. Every job runs at once, each in its node's network namespace, its output
// (stdout and stderr merged) into its own pipe: "@@job I", the output, "@@rc CODE"; one `cat` prints
// the pipes in order. The tools bound their own time (fping -t, ping -W); the caller's timeout is a
// backstop.
export const RUN_SCRIPT = `
pipes=(); i=0
job() {
  local ns="$1" in=(); shift
  [ "$ns" = host ] || in=(nsenter "--net=/run/netns/$ns" --)
  echo "@@job $i"
  "\${in[@]}" "$@" 2>&1
  local rc=$?
  echo ""
  echo "@@rc $rc"
}
while [ $# -ge 2 ]; do
  ns="$1"; n="$2"; shift 2
  exec {fd}< <(job "$ns" "\${@:1:n}")
  pipes+=("/dev/fd/$fd"); shift "$n"; i=$((i + 1))
done
[ \${#pipes[@]} -gt 0 ] && cat "\${pipes[@]}"
echo "@@end"
`;

export interface Job { node: string; argv: string[] }
export interface JobResult { code: number; stdout: string; stderr: string }

/** Parses RUN_SCRIPT output for `n` jobs. Pure. */
export function parseRunOutput(text: string, n: number): JobResult[] {
  const out: JobResult[] = Array.from({ length: n }, () => ({ code: 127, stdout: '', stderr: '' }));
  for (const block of text.split(/^@@job /m).slice(1)) {
    const nl = block.indexOf('\n');
    const i = Number(block.slice(0, nl));
    if (!Number.isInteger(i) || i < 0 || i >= n) continue;
    const rc = /\n@@rc (\d+)\n?(?:@@end\n?)?$/.exec(block);
    const body = block.slice(nl + 1, rc ? rc.index : undefined).replace(/\n$/, '');
    out[i] = { code: rc ? Number(rc[1]) : 127, stdout: body, stderr: body };
  }
  return out;
}

/** Runs every job at once, each in its node (network namespace only), with one process from Node. */
export async function runMany(engine: Engine, id: string, jobs: Job[], timeoutMs: number): Promise<JobResult[]> {
  if (jobs.length === 0) return [];
  const args = jobs.flatMap((j) => [j.node, String(j.argv.length), ...j.argv]);
  const r = await runIn(engine, id, 'host', ['bash', '-c', RUN_SCRIPT, 'nsplay-run', ...args], { timeoutMs: timeoutMs + 10_000 });
  return parseRunOutput(r.stdout, jobs.length);
}
