// Many namespaces of a session with one process from Node: a bash script run in the session's holder
// (its mount and network namespaces, so /run/netns is the session's own) that enters each namespace
// once, with `nsenter --net` (a network namespace only: no mount-namespace copy or sysfs remount),
// into a small `sh` script that reads everything asked of that namespace. On a busy machine every
// exec costs ~10–20 ms of CPU, so the count of processes is the cost: per namespace one nsenter (which
// becomes the sh), one `ip -batch`, one iptables-save, no process for sysctls; a matrix then runs its
// fping in place of that same sh (readThenRun). The scripts are constants: namespace names, argv and
// words arrive as arguments or channel lines and are only ever used quoted (words: split, never globbed).
import { parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseNetnsIds } from '../observe/parse-ip.ts';
import { parseIptablesSave } from '../observe/parse-iptables.ts';
import { parseListeningPorts } from '../observe/parse-ss.ts';
import { parseSysctlOutput } from '../observe/observe.ts';
import type { NamespaceState } from '../observe/types.ts';
import type { Engine } from '../session/types.ts';
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { runIn } from './helpers.ts';

// One namespace's part, run by `sh` (dash: far cheaper to start than bash) inside that namespace.
// $1 = FLAGS (b = the `ip -j -d` batch: links, routes, rules, neighbours, netns ids; i = iptables-save;
// s = listening TCP ports; c = sysctls, read by the shell itself from /proc/sys, which shows the
// reader's network namespace; w = then wait), $2 = the namespace's name, $3 = N, then N sysctl (key,
// /proc/sys path) pairs; then an argv. With `w` it prints "@@ready" after its read, reads one line of
// words from its stdin (its channel from Node) and, if there are any, runs the argv with the words
// appended; then, with `I`, "@@after" and iptables-save (read after the run: its CPU then overlaps the
// other namespaces' waits for answers instead of delaying every run). (dash's `read` returns 1 on a
// /proc file even when it read the value: the value decides.)
export const NS_SCRIPT = `
flags="$1"; ns="$2"; n="$3"; shift 3
printf '@@ns %s\\n' "$ns"
case $flags in *b*)
  echo "@@batch"
  ip -d -j -batch - 2>/dev/null <<'EOF'
addr show
route show table all
rule show
neigh show
netns list-id
EOF
esac
case $flags in *i*) echo "@@iptables"; iptables-save 2>/dev/null; esac
case $flags in *s*) echo "@@ss"; ss -Hltn 2>/dev/null; esac
case $flags in *c*) [ "$n" -gt 0 ] && echo "@@sysctl"; esac
while [ "$n" -gt 0 ]; do
  case $flags in *c*) v=; { read -r v < "$2"; } 2>/dev/null; [ -n "$v" ] && printf '%s = %s\\n' "$1" "$v"; esac
  shift 2; n=$((n - 1))
done
case $flags in *w*)
  echo "@@ready"
  IFS= read -r line || line=
  if [ -n "$line" ] && [ $# -gt 0 ]; then echo "@@run"; set -f; "$@" $line 2>&1; fi
  case $flags in *I*) echo "@@after"; echo "@@iptables"; iptables-save 2>/dev/null; esac
esac
`;

// The session's side, in its holder (its mount and network namespaces: /run/netns is the session's
// own). Arguments: $1 = NS_SCRIPT; $2 = N, then N sysctl (key, path) pairs; then K = channels (Node's
// fds 3…3+K-1, each a socket both ways), M and M channel namespaces (M = 0: the first K of host and
// /run/netns/*), their FLAGS; then R and R words: the namespaces to read on stdout, `--every FLAGS`
// (every one without a channel) or pairs FLAGS NAME; the rest: the argv a channel namespace may run.
// A channel namespace reads into its channel and waits there (NS_SCRIPT's `w`); every other namespace
// is read at once into its own pipe (process substitution), and one `cat` prints the pipes in order
// (no output mixed; on a busy machine many small jobs at once get their share of the CPU where a loop
// would wait), then "@@end".
export const SESSION_SCRIPT = `
job="$1"; n="$2"; shift 2
sys=("\${@:1:2*n}"); shift $((2 * n))
k="$1"; m="$2"; shift 2
chan=("\${@:1:m}"); shift "$m"
cflags="$1"; r="$2"; shift 2
rest=("\${@:1:r}"); shift "$r"
run=("$@")
all=(host)
for f in /run/netns/*; do [ -e "$f" ] && all+=("\${f##*/}"); done
[ "$m" -eq 0 ] && chan=("\${all[@]:0:k}")
enter() {
  local flags="$1" ns="$2"; shift 2
  [ "$ns" = host ] && exec sh -c "$job" nsplay-ns "$flags" "$ns" "$n" "\${sys[@]}" "$@"
  exec nsenter "--net=/run/netns/$ns" -- sh -c "$job" nsplay-ns "$flags" "$ns" "$n" "\${sys[@]}" "$@"
}
for ((i = 0; i < k; i++)); do
  fd=$((3 + i)); ns="\${chan[i]}"
  if [ -n "$ns" ] && { [ "$ns" = host ] || [ -e "/run/netns/$ns" ]; }; then
    { exec <&"$fd" >&"$fd"; for ((c = 3; c < 3 + k; c++)); do exec {c}>&-; done; enter "$cflags" "$ns" "\${run[@]}"; } &
  fi
  exec {fd}>&-
done
if [ "\${rest[0]}" = --every ]; then
  flags="\${rest[1]}"; rest=()
  for ns in "\${all[@]}"; do
    t=0; for c in "\${chan[@]}"; do [ "$c" = "$ns" ] && { t=1; break; }; done
    [ "$t" = 0 ] && rest+=("$flags" "$ns")
  done
fi
pipes=()
for ((j = 0; j + 1 < \${#rest[@]}; j += 2)); do
  exec {fd}< <(enter "\${rest[j]}" "\${rest[j+1]}")
  pipes+=("/dev/fd/$fd")
done
[ \${#pipes[@]} -gt 0 ] && cat "\${pipes[@]}"
echo "@@end"
wait
`;

/** A sysctl key's file under /proc/sys (as `sysctl` maps it: dots are directories). */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.includes('/') ? key : key.replace(/\./g, '/')}`;
}

function sysctlArgs(keys: string[]): string[] {
  return [String(keys.length), ...keys.flatMap((k) => [k, sysctlPath(k)])];
}

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
  const argv = ['bash', '-c', SESSION_SCRIPT, 'nsplay-read', NS_SCRIPT, ...sysctlArgs(sysctlKeys), '0', '0', '-', String(targets.length), ...targets];
  const r = await runIn(engine, id, 'host', argv, { timeoutMs: 20_000 });
  if (!r.stdout.trimEnd().endsWith('@@end')) {
    throw new Error(`could not read the session's namespaces (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  }
  return parseReadOutput(r.stdout);
}

/** Words a channel namespace may append to its argv: addresses, ports, names; no blanks, no glob or shell characters. */
const SAFE_WORD = /^[A-Za-z0-9][A-Za-z0-9.:%_/+=@-]*$/;

/** The first word that may not go down a channel, if any. Pure. */
export function unsafeWord(words: string[]): string | undefined {
  return words.find((w) => !SAFE_WORD.test(w));
}

/**
 * A channel's text → its read (up to "@@ready", and what it read after its run; null: it never got to
 * "@@ready") and its run's output (after "@@run", up to "@@after"). Pure.
 */
export function parseChannel(text: string): { read: string | null; run: string | null } {
  const cut = text.indexOf('\n@@ready\n');
  if (cut < 0) return { read: null, run: null };
  const rest = text.slice(cut + 9);
  const after = rest.indexOf('@@after\n');
  const run = after < 0 ? rest : rest.slice(0, after);
  return { read: text.slice(0, cut + 1) + (after < 0 ? '' : rest.slice(after + 8)), run: run.startsWith('@@run\n') ? run.slice(6) : null };
}

export interface ReadThenRunOptions {
  /** The namespaces that read into a channel and may then run `run`; absent: the first `channels` of host and /run/netns. */
  names?: string[];
  /** How many channels when `names` is absent. */
  channels?: number;
  flags: ReadFlags;
  sysctlKeys?: string[];
  /** The argv a channel namespace runs (with its words appended). */
  run: string[];
  /** Backstop for the whole thing (the run's tool bounds its own time). */
  timeoutMs?: number;
}

export interface ReadThenRunResult {
  /** Every namespace's read (the rest's, and the channel namespaces' with their iptables read after the run). */
  parts: PartialState[];
  /** node → the output (stdout and stderr) of its run, for the nodes given words. */
  outputs: Map<string, string>;
  /** When every read was in (ms since the start) and when every run was done. */
  readMs: number;
  runMs: number;
}

/**
 * One look at every namespace, then a tool in some of them, without a second process from Node: the
 * namespaces that may run (`names`) read into a channel of their own (a socket pair from Node: fd 3…)
 * and wait there; when every read is in, `decide` picks each one's words from what was read (throw to
 * stop: every waiting namespace is released), the words go down the channels, and each namespace runs
 * `run` + its words in place (its shell forks the tool: no new nsenter), then reads its iptables. The
 * parts `decide` sees lack the channel namespaces' iptables (read after the run); the result has them.
 * A node that `decide` gives words but that has no channel runs through runMany.
 */
export async function readThenRun(engine: Engine, id: string, o: ReadThenRunOptions, decide: (parts: PartialState[]) => Map<string, string[]>): Promise<ReadThenRunResult> {
  if (o.run.length === 0) throw new Error('readThenRun needs an argv to run');
  const started = performance.now();
  const names = o.names ?? [];
  const k = o.names ? names.length : (o.channels ?? 0);
  const flags = flagString(o.flags);
  const argv = ['bash', '-c', SESSION_SCRIPT, 'nsplay-read', NS_SCRIPT, ...sysctlArgs(o.sysctlKeys ?? []), String(k), String(names.length), ...names, `${flagString({ ...o.flags, iptables: false })}${o.flags.iptables ? 'I' : ''}w`, '2', '--every', flags, ...o.run];
  const full = await engine.enterArgv(id, 'host', argv);
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe', ...Array<'pipe'>(k).fill('pipe')] });
  child.on('error', () => undefined);
  const chans = Array.from({ length: k }, (_, i) => child.stdio[3 + i] as Duplex);
  let stdout = '';
  let stderr = '';
  const text = chans.map(() => '');
  const ended = chans.map(() => false);
  let exited = false;
  let wake = () => undefined as void;
  const changed = () => wake();
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString('utf8'); changed(); });
  child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 16_384) stderr += d.toString('utf8'); });
  chans.forEach((c, i) => {
    c.on('data', (d: Buffer) => { text[i] += d.toString('utf8'); changed(); });
    c.on('end', () => { ended[i] = true; changed(); });
    c.on('close', () => { ended[i] = true; changed(); });
    c.on('error', () => { ended[i] = true; changed(); });
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => { exited = true; changed(); resolve(code); }));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (!exited && child.pid !== undefined && child.exitCode === null && child.signalCode === null) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const c of chans) c.destroy();
    changed();
  }, o.timeoutMs ?? 20_000);
  const until = async (cond: () => boolean) => {
    while (!cond() && !timedOut && !exited) await new Promise<void>((r) => { wake = r; });
  };
  const release = () => { for (const c of chans) if (!c.destroyed) c.end(); };
  try {
    await until(() => /(^|\n)@@end\n$/.test(stdout) && chans.every((_, i) => ended[i] || parseChannel(text[i]).read !== null));
    if (!/(^|\n)@@end\n/.test(stdout)) {
      throw new Error(timedOut ? `reading the session's namespaces took longer than ${o.timeoutMs ?? 20_000} ms` : `could not read the session's namespaces (exit ${child.exitCode}): ${stderr.trim().slice(0, 300)}`);
    }
    const readMs = performance.now() - started;
    const at = new Map<string, number>();
    const parts = parseReadOutput(stdout);
    text.forEach((t, i) => {
      const { read: mine } = parseChannel(t);
      if (mine === null) return;
      const own = parseReadOutput(mine);
      for (const p of own) at.set(p.node, i);
      parts.push(...own);
    });
    const words = decide(parts);
    for (const ws of words.values()) {
      const bad = unsafeWord(ws);
      if (bad !== undefined) throw new Error(`refusing to run with the word '${bad}'`);
    }
    const elsewhere: Job[] = [];
    const asked = new Map<number, string[]>();
    for (const [node, ws] of words) {
      if (ws.length === 0) continue;
      const i = at.get(node);
      if (i === undefined || ended[i]) elsewhere.push({ node, argv: [...o.run, ...ws] });
      else asked.set(i, ws);
    }
    chans.forEach((c, i) => {
      const ws = asked.get(i);
      if (ws && !c.destroyed) c.write(`${ws.join(' ')}\n`);
      if (!c.destroyed) c.end();
    });
    const others = runMany(engine, id, elsewhere, o.timeoutMs ?? 20_000);
    await until(() => exited && ended.every(Boolean));
    if (timedOut) throw new Error(`the run in the session's namespaces took longer than ${o.timeoutMs ?? 20_000} ms`);
    const outputs = new Map<string, string>();
    for (const [node, i] of at) {
      if (asked.has(i)) outputs.set(node, parseChannel(text[i]).run ?? '');
    }
    (await others).forEach((r, j) => outputs.set(elsewhere[j].node, r.stdout));
    // The channels' reads again, now with what they read after their run.
    const all = parseReadOutput(stdout);
    for (const t of text) { const { read: mine } = parseChannel(t); if (mine !== null) all.push(...parseReadOutput(mine)); }
    return { parts: all, outputs, readMs, runMs: performance.now() - started - readMs };
  } finally {
    release();
    clearTimeout(timer);
    if (!exited) await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
  }
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
