// The Mininet comparison of issue 8 for `npm run bench`: Mininet 2.3's `single,100` (one Linux bridge,
// no controller) built, started and stopped, next to nsplay applying and destroying the star N = 100 —
// same run, alternating. Mininet runs through its Python API (bench/mininet_single.py) inside a bench
// session's host namespace, never as `mn`: `mn -c` and `mn`'s clean-up on error kill every ping on the
// machine and delete links by name pattern, and Mininet.init() raises machine-wide sysctls (the script
// skips it). Mininet's bridge and ports live in that namespace and its hosts are namespaces unshared
// from it; afterwards every node PID the script reported must be gone (one left is killed by its PID
// and reported). `--install-mininet` installs Debian's mininet and bridge-utils first (no recommends:
// no Open vSwitch); without mininet the figure is skipped and says so.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../server/exec/run.ts';
import type { Engine } from '../server/session/types.ts';
import type { Figure } from './figure.ts';
import { starTopology } from './star.ts';
import { fmtNumber, summarize } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(ROOT, 'bench', 'mininet_single.py');
const PYTHON = '/usr/bin/python3'; // Debian's, where python3-mininet's module lives
const N = 100;

export interface MininetContext {
  engine: Engine;
  quick: boolean;
  reps: number | null;
  /** --install-mininet: apt-get install mininet bridge-utils when mininet is missing. */
  install: boolean;
  /** The figure was asked for by name (--only mininet): it runs in --quick too. */
  named: boolean;
  log: (line?: string) => void;
  figures: { push(...f: Figure[]): number };
  failures: string[];
  skipped: string[];
  newSession: (lab?: string) => Promise<string>;
  /** Destroys the session and waits until the kernel has freed it. */
  teardown: (id: string) => Promise<void>;
}

interface MininetRun { n: number; build?: number; start?: number; stop: number; ping?: boolean; error?: string; pids: number[] }

const ms = (x: number) => `${fmtNumber(x)} ms`;

function mininetInstalled(): boolean {
  return spawnSync(PYTHON, ['-c', 'import mininet.net, mininet.nodelib'], { stdio: 'ignore' }).status === 0
    && spawnSync('sh', ['-c', 'command -v mnexec && command -v brctl'], { stdio: 'ignore' }).status === 0;
}

/** A Mininet node process still running after net.stop(): its PID, if its command line is Mininet's. */
function leftover(pid: number): string | null {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    return /mininet:/.test(cmd) ? cmd.trim() : null;
  } catch {
    return null; // gone
  }
}

export async function figureMininet(ctx: MininetContext): Promise<void> {
  const { log } = ctx;
  if (ctx.quick && !ctx.named) {
    log('mininet comparison: not in --quick (Mininet takes 10–40 s a run here); `--only mininet` or a full run measures it');
    ctx.skipped.push(`Mininet \`single,${N}\` build+teardown: not in --quick (\`npm run bench -- --only mininet\` runs it)`);
    return;
  }
  if (!mininetInstalled() && ctx.install) {
    log('mininet comparison: installing Debian\'s mininet and bridge-utils (apt-get install --no-install-recommends)…');
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'mininet', 'bridge-utils'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) log(`  apt-get install failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`);
  }
  if (!mininetInstalled()) {
    const why = 'mininet not installed (`npm run bench -- --only mininet --install-mininet` installs it)';
    log(`mininet comparison: skipped: ${why}`);
    ctx.skipped.push(`Mininet \`single,${N}\` build+teardown: skipped: ${why}`);
    return;
  }
  const reps = ctx.reps ?? (ctx.quick ? 1 : 3);
  log(`mininet comparison: Mininet single,${N} (LinuxBridge, no controller; Python API inside a bench session) build + start + stop vs nsplay apply + destroy star N=${N} (${reps} run${reps > 1 ? 's' : ''} each, alternating)`);
  const mine: number[] = [];
  const theirs: number[] = [];
  const parts: string[] = [];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['nsplay', 'mininet'] : ['mininet', 'nsplay'];
    for (const who of order) {
      const id = await ctx.newSession();
      let tornDown = false;
      try {
        if (who === 'nsplay') {
          const t0 = performance.now();
          const a = await ctx.engine.apply(id, starTopology(N));
          if (!a.ok) throw new Error(`nsplay apply of star ${N} failed: ${a.error?.stderr}`);
          const t1 = performance.now();
          await ctx.teardown(id);
          tornDown = true;
          const t2 = performance.now();
          mine.push(t2 - t0);
          log(`  nsplay   ${ms(t2 - t0).padStart(9)}   apply ${ms(t1 - t0)} · destroy until the kernel freed it ${ms(t2 - t1)}`);
        } else {
          const argv = await ctx.engine.enterArgv(id, 'host', [PYTHON, SCRIPT, String(N)]);
          const t0 = performance.now();
          const res = await runCommand(argv, { timeoutMs: 600_000 });
          const wall = performance.now() - t0;
          const line = res.stdout.trim().split('\n').pop() ?? '';
          let out: MininetRun;
          try { out = JSON.parse(line) as MininetRun; } catch { throw new Error(`Mininet's script printed no result (exit ${res.code}): ${res.stderr.trim().slice(-400)}`); }
          const left = out.pids.map((pid) => ({ pid, cmd: leftover(pid) })).filter((x) => x.cmd !== null);
          for (const x of left) { try { process.kill(x.pid, 'SIGKILL'); } catch { /* gone meanwhile */ } }
          if (left.length) ctx.failures.push(`mininet: ${left.length} node process(es) outlived net.stop() (killed by PID): ${left[0].cmd}`);
          if (out.error || out.build === undefined || out.start === undefined) throw new Error(`Mininet failed: ${out.error ?? 'no build time'}`);
          if (!out.ping) ctx.failures.push('mininet: h1 could not ping hN in the network Mininet built');
          const total = out.build + out.start + out.stop;
          theirs.push(total);
          parts.push(`build ${ms(out.build)} · start ${ms(out.start)} · stop ${ms(out.stop)}`);
          log(`  mininet  ${ms(total).padStart(9)}   build ${ms(out.build)} · start ${ms(out.start)} · stop ${ms(out.stop)} · h1 → h${N} ${out.ping ? 'ok' : 'FAILED'} · ${out.pids.length} node processes, ${left.length} left after stop · python wall ${ms(wall)}`);
        }
      } catch (e) {
        ctx.failures.push(`mininet comparison (${who}): ${(e as Error).message}`);
        log(`  FAILED (${who}): ${(e as Error).message}`);
      } finally {
        if (!tornDown) await ctx.teardown(id);
      }
    }
  }
  if (mine.length === 0 || theirs.length === 0) return;
  ctx.figures.push({
    name: `Mininet single,${N} build + teardown vs nsplay apply + destroy star N=${N}`, unit: 'ms',
    value: summarize(mine), baseline: summarize(theirs),
    baselineWhat: `Mininet 2.3 (Debian), \`single,${N}\` with LinuxBridge and no controller through its Python API: build + start + stop (inside a bench session; Mininet.init() and its clean-up not called)`,
    goal: '≥ 8× faster (ratio ≤ 0.125)',
    note: `nsplay: apply + destroy until the kernel freed the session; Mininet's median run: ${parts[Math.floor(parts.length / 2)]}`,
  });
}
