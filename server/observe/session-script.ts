// Observing a whole session with one process: a bash script, run inside the session's holder, that
// prints every namespace's `ip -j` batches, iptables-save, listening ports and sysctls between markers.
// One spawn from Node instead of eight per namespace (spawning from a large Node process is slow).
// Pure: the script is a constant (names arrive as arguments, never inside the script text) and the
// parser turns the combined output into NamespaceStates.
import { buildNamespaceState } from './observe.ts';
import type { NamespaceState } from './types.ts';

// $1 = comma-separated sysctl keys (may be empty); then pairs FLAGS NAME ('host' = the holder's own
// namespace). FLAGS say what else to read there: i = iptables-save, s = listening ports, c = sysctls.
// One `ip -j -batch` reads links, rules, ids, routes and neighbours (IPv6 entries are dropped by the parsers).
export const OBSERVE_SCRIPT = `
keys="$1"; shift
IFS=, read -r -a sysctls <<< "$keys"
while [ $# -ge 2 ]; do
  flags="$1"; ns="$2"; shift 2
  if [ "$ns" = host ]; then ipn=(ip); in=(); else ipn=(ip -n "$ns"); in=(nsenter "--net=/run/netns/$ns" --); fi
  echo "@@ns $ns"
  echo "@@batch"; printf 'addr show\\nrule show\\nnetns list-id\\nroute show table all\\nneigh show\\n' | "\${ipn[@]}" -d -j -batch - 2>/dev/null
  echo "@@iptables"; [[ $flags == *i* ]] && "\${in[@]}" iptables-save 2>/dev/null
  echo "@@ss"; [[ $flags == *s* ]] && "\${in[@]}" ss -Hltn 2>/dev/null
  echo "@@sysctl"; [[ $flags == *c* ]] && [ \${#sysctls[@]} -gt 0 ] && "\${in[@]}" sysctl "\${sysctls[@]}" 2>/dev/null
done
echo "@@end"
`;

export interface ObserveTarget { node: string; iptables: boolean; listening: boolean; sysctls: boolean }

export function observeScriptArgv(targets: ObserveTarget[], sysctlKeys: string[]): string[] {
  const pairs = targets.flatMap((t) => [`-${t.iptables ? 'i' : ''}${t.listening ? 's' : ''}${t.sysctls ? 'c' : ''}`, t.node]);
  return ['bash', '-c', OBSERVE_SCRIPT, 'nsplay-observe', sysctlKeys.join(','), ...pairs];
}

function sections(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  let key = '';
  for (const line of block.split('\n')) {
    const m = /^@@([a-z0-9-]+)$/.exec(line);
    if (m) { key = m[1]; out[key] = ''; continue; }
    if (key) out[key] += `${line}\n`;
  }
  return out;
}

/** The script's output → one NamespaceState per namespace that printed anything. */
export function parseObserveOutput(text: string): NamespaceState[] {
  const states: NamespaceState[] = [];
  const blocks = text.split(/^@@ns /m).slice(1);
  for (const block of blocks) {
    const nl = block.indexOf('\n');
    const node = block.slice(0, nl);
    const s = sections(block.slice(nl + 1));
    const [addr = '', rule = '', ids = '', route = '', neigh = ''] = (s.batch ?? '').split('\n');
    if (!addr.trim()) continue; // gone between listing and reading (every namespace has at least lo)
    states.push(buildNamespaceState(node, {
      addr, route, rule, neigh, netnsIds: ids,
      iptables: s.iptables ?? '', listening: s.ss ?? '', sysctls: s.sysctl ?? '',
    }));
  }
  return states;
}
