// Gate 2 (issue 7): crash anywhere, recover fully. A stand-in for the engine process
// (crash-child.ts: createEngine + a server-owned session, as server/realtime/engine-host.ts does)
// is SIGKILLed right after its k-th mutating command — by the hook in server/exec/steps.ts
// (NSPLAY_TEST_KILL_AFTER=k). What k counts: one *command* — one `ip -batch -` (however many lines),
// one single command (iptables, sysctl, …), one service/container start or removal; observation
// never counts. Every k from 1 to N is run, N counted first by a run that is not killed, both while
// a drawing is applied and while it is torn down (apply of an empty drawing: the removal steps).
// After each kill the start-up reclaim (engine.reclaim()) must, within 10 s, leave 0 of the
// session's namespaces (net + the holder's mount namespace), processes (anything inside them, the
// holder, anything naming the session directory), mounts, runc containers, and its directory; and
// the machine's `ip netns list`, iptables-save and mount table unchanged (links and iptables rules
// live inside the session's namespaces: when no namespace survives, neither do they; global-setup
// compares the whole machine and the canaries after the suite).
//   Topologies: small = labs/01-rootns-netns/final.yaml, medium = labs/03-bridge/final.yaml,
// star50 = bench/star.ts starTopology(50).
//   `npm test`: every k of small and medium, every k of star50's teardown, and a deterministic
// sample of star50's apply ks (first, last and 8 spread between: each kill costs seconds), plus the
// CLI (`nsplay apply` killed after every k of small, then `nsplay session destroy`) and 2 random-time
// kills of the engine during apply (star50) and 2 during `destroy` (medium).
//   `npm run test:soak` (NSPLAY_SOAK=1): every k of star50 too, the CLI for medium as well, and 20
// random-time kills of each kind.
//   The next crash child creates its session while the current one is killed and reclaimed (a
// live owner: the reclaim leaves it alone), so only one dead session exists at any time.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { starTopology } from '../../bench/star.ts';
import { sessionNetnsInodes } from '../../server/sandbox/lifecycle.ts';
import { sessionDir } from '../../server/sandbox/paths.ts';
import { nsInode } from '../../server/sandbox/procfs.ts';
import { createEngine } from '../../server/session/engine.ts';
import type { Topology } from '../../server/topology/schema.ts';
import { nsplay } from './cli.ts';
import { ROOT, TEST_STATE_DIR, WRAPPERS } from './env.ts';

const SOAK = process.env.NSPLAY_SOAK === '1';
const CHILD = path.join(ROOT, 'test/integration/crash-child.ts');
const RECLAIM_LIMIT_MS = 10_000;

const yamlTopology = (file: string) => YAML.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Topology;
const TOPOLOGIES: Record<string, Topology> = {
  small: yamlTopology('labs/01-rootns-netns/final.yaml'),
  medium: yamlTopology('labs/03-bridge/final.yaml'),
  star50: starTopology(50),
};
const files: Record<string, string> = {};
const engine = createEngine({ stateDir: TEST_STATE_DIR });
const figures: string[] = [];

/** Every k when few or soaking; else first, last and 8 spread between (the same ones every run). */
function ksFor(n: number, sample: boolean): number[] {
  if (!sample || n <= 10) return Array.from({ length: n }, (_, i) => i + 1);
  const picked = new Set([1, n]);
  for (let i = 1; i <= 8; i++) picked.add(1 + Math.round((i * (n - 1)) / 9));
  return [...picked].sort((a, b) => a - b);
}

/** Gone, or a zombie waiting for its parent. */
function alive(pid: number): boolean {
  try { return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

const pids = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number);

function nsOf(pid: number, kind: 'net' | 'mnt'): number | null {
  try {
    const m = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/${kind}`));
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

interface Footprint { id: string; dir: string; holder: number; netns: Set<number>; mntns: number | null; pins: number[] }

/**
 * What the session holds right now, read from the kernel. Each of its namespaces is pinned by an open
 * fd until unpin(): the kernel hands a freed namespace's inode number to the next namespace anyone
 * on the machine makes, so without the pin a process of other work could carry "our" number. Pinned,
 * the number stays ours, and a process found in it really is in the session's namespace.
 */
function footprint(id: string, holder: number): Footprint {
  const pins: number[] = [];
  const pin = (file: string) => { try { pins.push(fs.openSync(file, 'r')); } catch { /* gone */ } };
  pin(`/proc/${holder}/ns/net`);
  pin(`/proc/${holder}/ns/mnt`);
  let entries: string[] = [];
  try { entries = fs.readdirSync(path.join(sessionDir(id, TEST_STATE_DIR), 'netns')); } catch { /* none */ }
  for (const e of entries) pin(`/proc/${holder}/root/run/netns/${e}`);
  const netns = sessionNetnsInodes(id, alive(holder) ? { pid: holder, start: 0 } : null, TEST_STATE_DIR);
  const hostNet = nsInode(`/proc/${holder}/ns/net`);
  if (hostNet !== null) netns.add(hostNet);
  return { id, dir: sessionDir(id, TEST_STATE_DIR), holder, netns, mntns: nsOf(holder, 'mnt'), pins };
}

function unpin(f: Footprint): void {
  for (const fd of f.pins.splice(0)) fs.closeSync(fd);
}

interface Machine { netns: string; iptables: string; runc: string; mounts: string }
function machine(): Machine {
  const out = (argv: string[]) => {
    try { return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { return `ERROR ${(e as Error).message}`; }
  };
  return {
    netns: out(['ip', 'netns', 'list']).split('\n').filter((l) => !/^nsplay-s[0-9a-f]{6}\b/.test(l)).join('\n'),
    iptables: out(['iptables-save']).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n'),
    // runc state of containers from this suite's state directory (other work on the machine has its own).
    runc: (fs.existsSync('/run/runc') ? fs.readdirSync('/run/runc') : []).filter((c) => {
      try { return fs.readFileSync(`/run/runc/${c}/state.json`, 'utf8').includes(TEST_STATE_DIR); } catch { return false; }
    }).sort().join(','),
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.includes(TEST_STATE_DIR)).sort().join('\n'),
  };
}

/** Everything of the session still there: empty when nothing leaked. */
function leaks(f: Footprint): string[] {
  const out: string[] = [];
  if (fs.existsSync(f.dir)) out.push(`session directory ${f.dir}`);
  if (alive(f.holder)) out.push(`holder ${f.holder}`);
  for (const pid of pids()) {
    if (pid === process.pid || !alive(pid)) continue;
    const net = nsOf(pid, 'net');
    const mnt = nsOf(pid, 'mnt');
    if (net !== null && f.netns.has(net)) out.push(`process ${pid} in a session netns (${readCmd(pid)})`);
    else if (mnt !== null && mnt === f.mntns) out.push(`process ${pid} in the holder's mount namespace (${readCmd(pid)})`);
    else if (readCmd(pid).includes(f.dir)) out.push(`process ${pid} naming the session (${readCmd(pid)})`);
  }
  for (const l of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (l.includes(f.dir)) out.push(`mount ${l}`);
  return out;
}

function readCmd(pid: number): string {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { return ''; }
}

/** Waits (bounded) until nothing of the session is left; returns what is still there. */
async function settle(f: Footprint, deadline: number): Promise<string[]> {
  let left = leaks(f);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = leaks(f);
  }
  return left;
}

let before: Machine;
beforeAll(async () => {
  fs.mkdirSync(TEST_STATE_DIR, { recursive: true });
  for (const [name, t] of Object.entries(TOPOLOGIES)) {
    files[name] = path.join(TEST_STATE_DIR, `crash-${name}.json`);
    fs.writeFileSync(files[name], JSON.stringify(t));
  }
  before = machine();
});

afterAll(() => {
  for (const f of Object.values(files)) fs.rmSync(f, { force: true });
  // Figures for the README's reliability section.
  console.log(`[gate 2] ${figures.join('; ')}`);
});

interface Prepared {
  child: ReturnType<typeof execa>;
  /** Resolves once the child's session exists and is prepared (the child waits for `go`). */
  ready: Promise<{ id: string; holder: number }>;
}

/** A crash child whose session is created (and, for teardown/destroy, its drawing applied). */
function prepare(mode: string, topo: string, k?: number): Prepared {
  const child = execa(process.execPath, ['--import', 'tsx', CHILD, TEST_STATE_DIR, mode, files[topo], ...(k ? [String(k)] : [])], {
    cwd: ROOT, reject: false, stdin: 'pipe', env: { PATH: `${WRAPPERS}:${process.env.PATH}` },
  });
  const ready = new Promise<{ id: string; holder: number }>((resolve, fail) => {
    let text = '';
    child.stdout!.on('data', (d) => {
      text += String(d);
      const m = /^session (s[0-9a-f]{6}) (\d+)$/m.exec(text);
      if (m && (mode === 'count' || /^ready$/m.test(text))) resolve({ id: m[1], holder: Number(m[2]) });
    });
    void child.then((r) => fail(new Error(`the crash child ended before its session was ready: ${r.stdout} ${r.stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

const prepared = new Set<Prepared>();

/** Children still waiting when a test fails: killed, their sessions reclaimed. */
async function abandonPrepared(): Promise<void> {
  for (const p of prepared) { p.child.kill('SIGKILL'); await p.child; }
  prepared.clear();
  await engine.reclaim();
}

const counted = new Map<string, { apply: number; teardown: number }>();
/** N per topology and phase, from a child that is not killed (and destroys its session cleanly). */
async function countCommands(topo: string): Promise<{ apply: number; teardown: number }> {
  if (!counted.has(topo)) {
    const r = await prepare('count', topo).child;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    counted.set(topo, JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { apply: number; teardown: number });
  }
  return counted.get(topo)!;
}

/** Checks the reclaim of one killed session; returns how long the reclaim took. */
async function reclaimAndCheck(f: Footprint, via: 'reclaim' | 'destroy', mustFind = true): Promise<number> {
  try {
    const t0 = Date.now();
    if (via === 'reclaim') {
      const removed = await engine.reclaim();
      if (mustFind) expect(removed).toContain(f.id);
    } else expect((await nsplay(['session', 'destroy', f.id])).code).toBe(0);
    const left = await settle(f, t0 + RECLAIM_LIMIT_MS);
    const ms = Date.now() - t0;
    expect(left, `session ${f.id}: left after ${via}`).toEqual([]);
    expect(ms).toBeLessThan(RECLAIM_LIMIT_MS);
    return ms;
  } finally {
    unpin(f);
  }
}

/**
 * Runs one crash per item: the next child is prepared (its session created) while this one is
 * released, killed and reclaimed — only one dead session exists at a time, so each reclaim is
 * checked against exactly the session it must remove. Returns the slowest reclaim.
 */
async function crashSeries<T>(items: T[], mode: string, topo: string, kOf: (item: T) => number | undefined,
  kill: (p: Prepared, item: T) => Promise<Footprint | null>): Promise<number> {
  let worst = 0;
  let next: Prepared | null = items.length ? prepare(mode, topo, kOf(items[0])) : null;
  if (next) prepared.add(next);
  try {
    for (let i = 0; i < items.length; i++) {
      const cur = next!;
      const { id, holder } = await cur.ready;
      next = i + 1 < items.length ? prepare(mode, topo, kOf(items[i + 1])) : null;
      if (next) prepared.add(next);
      const early = await kill(cur, items[i]);
      const r = await cur.child;
      prepared.delete(cur);
      // A hook kill must happen; a random-time kill may come after the child finished (then it just exited).
      if (kOf(items[i]) !== undefined) expect(r.signal, `${topo} ${mode} k=${kOf(items[i])}: ${r.stdout} ${r.stderr}`).toBe('SIGKILL');
      else expect(r.signal === 'SIGKILL' || r.exitCode === 0, `${topo} ${mode}: ${r.stderr}`).toBe(true);
      // Read after the kill: everything the crash left (destroy passes what it read before).
      const f = early ?? footprint(id, holder);
      worst = Math.max(worst, await reclaimAndCheck(f, 'reclaim', early === null));
    }
  } catch (e) {
    await abandonPrepared();
    throw e;
  }
  return worst;
}

/** Releases a child armed with NSPLAY_TEST_KILL_AFTER: the hook kills it. */
const release = async (p: Prepared): Promise<null> => { p.child.stdin!.write('go\n'); return null; };

function assertMachineUnchanged(): void {
  expect(machine()).toEqual(before);
}

describe('gate 2: crash anywhere, recover fully', () => {
  for (const topo of ['small', 'medium', 'star50']) {
    it(`${topo}: the engine killed after every k-th mutating command of apply and of teardown leaves nothing after reclaim`, async () => {
      const n = await countCommands(topo);
      let kills = 0;
      let worst = 0;
      for (const mode of ['apply', 'teardown'] as const) {
        const ks = ksFor(n[mode], topo === 'star50' && !SOAK);
        worst = Math.max(worst, await crashSeries(ks, mode, topo, (k) => k, release));
        kills += ks.length;
      }
      assertMachineUnchanged();
      figures.push(`${topo}: ${n.apply} apply + ${n.teardown} teardown commands, ${kills} kills, 0 leaks, slowest reclaim ${worst} ms`);
    }, SOAK ? 3_600_000 : 300_000);
  }

  for (const topo of SOAK ? ['small', 'medium'] : ['small']) {
    it(`CLI: \`nsplay apply\` (${topo}) killed after every k leaves a session \`nsplay session destroy\` removes completely`, async () => {
      const n = (await countCommands(topo)).apply;
      for (let k = 1; k <= n; k++) {
        // A CLI session (no owner process): created here, as `nsplay session create` would.
        const { id } = await engine.create({ owner: 'cli:crash-test' });
        const holder = JSON.parse(fs.readFileSync(path.join(sessionDir(id, TEST_STATE_DIR), 'session.json'), 'utf8')).holder.pid as number;
        const r = await execa(process.execPath, [path.join(ROOT, 'bin/nsplay.js'), 'apply', id, files[topo]], {
          reject: false, stdin: 'ignore',
          env: { NSPLAY_STATE_DIR: TEST_STATE_DIR, NSPLAY_TEST_KILL_AFTER: String(k), PATH: `${WRAPPERS}:${process.env.PATH}` },
        });
        expect(r.signal, `k=${k}: ${r.stdout} ${r.stderr}`).toBe('SIGKILL');
        await reclaimAndCheck(footprint(id, holder), 'destroy');
      }
      assertMachineUnchanged();
      figures.push(`CLI ${topo}: ${n} kills, 0 leaks`);
    }, SOAK ? 1_800_000 : 120_000);
  }

  it('random-time kills of the engine during apply and during destroy leave nothing after reclaim', async () => {
    // A seeded generator: the same delays every run, so a failure can be replayed.
    let seed = 0x9e3779b9;
    const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
    const rounds = SOAK ? 20 : 2;
    const delays = (maxMs: number) => Array.from({ length: rounds }, () => Math.floor(rand() * maxMs));
    const killAt = (early: boolean) => async (p: Prepared, ms: number): Promise<Footprint | null> => {
      const { id, holder } = await p.ready;
      // destroy makes nothing new: its footprint is read before the kill (after it, part may be gone).
      const f = early ? footprint(id, holder) : null;
      p.child.stdin!.write('go\n');
      await new Promise((r) => setTimeout(r, ms));
      p.child.kill('SIGKILL');
      return f;
    };
    await crashSeries(delays(1500), 'apply', 'star50', () => undefined, killAt(false));
    await crashSeries(delays(300), 'destroy', 'medium', () => undefined, killAt(true));
    assertMachineUnchanged();
    figures.push(`random-time kills: ${rounds} during apply (star50, 0-1.5 s) + ${rounds} during destroy (medium, 0-300 ms), 0 leaks`);
  }, SOAK ? 1_800_000 : 120_000);
});
