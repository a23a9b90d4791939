// A stand-in for the nsplay server in crash tests (gate 2): one process that creates a server-owned
// session (it dies with this process: the next start-up reclaim removes it), then applies or tears
// down a drawing with the kill hook of server/exec/steps.ts armed, so it SIGKILLs itself right after
// the k-th mutating command. Not a test file; run as
//   node --import tsx crash-child.ts STATE_DIR MODE TOPOLOGY.json [K]
// MODE apply:    create, arm, apply the drawing            (killed during apply)
//      teardown: create, apply the drawing, arm, apply {}  (killed while the drawing is removed)
//      destroy:  create, apply the drawing, destroy          (the test kills it at a random time)
//      count:    create, count apply, count teardown, destroy; prints {"apply":N,"teardown":M}
// Prints `session ID HOLDERPID` as soon as the session exists, then (except count) `ready` once it
// is prepared, and waits for a line `go` on stdin before the part that is killed.
import fs from 'node:fs';
import { mutatingCommandCount } from '../../server/exec/steps.ts';
import { createEngine } from '../../server/session/engine.ts';
import { readRecord } from '../../server/sandbox/store.ts';
import type { Topology } from '../../server/topology/schema.ts';

const [stateDir, mode, file, k] = process.argv.slice(2);
const drawing = JSON.parse(fs.readFileSync(file, 'utf8')) as Topology;
const EMPTY: Topology = { version: 1, nodes: [], links: [] };
delete process.env.NSPLAY_TEST_KILL_AFTER;
delete process.env.NSPLAY_TEST_COUNT;

const engine = createEngine({ stateDir });
const s = await engine.create({ owner: 'server:crash-test' });
process.stdout.write(`session ${s.id} ${readRecord(s.id, stateDir)!.holder!.pid}\n`);

function arm(): void {
  if (mode === 'count') process.env.NSPLAY_TEST_COUNT = '1';
  else if (k) process.env.NSPLAY_TEST_KILL_AFTER = k;
}

async function applyOrFail(t: Topology): Promise<void> {
  const r = await engine.apply(s.id, t);
  if (!r.ok) throw new Error(`apply failed: ${r.error?.step.argv.join(' ')}: ${r.error?.stderr}`);
}

/** Prepared children wait for `go` on stdin, so the test can create the next session while it checks this one. */
async function go(): Promise<void> {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    let text = '';
    process.stdin.on('data', (d) => { text += String(d); if (text.includes('go\n')) resolve(); });
    process.stdin.on('end', () => process.exit(3));
  });
  process.stdin.removeAllListeners('end');
  process.stdin.removeAllListeners('data');
  process.stdin.pause();
}

if (mode === 'apply') {
  await go();
  arm();
  await applyOrFail(drawing);
} else if (mode === 'teardown') {
  await applyOrFail(drawing);
  await go();
  arm();
  await applyOrFail(EMPTY);
} else if (mode === 'destroy') {
  await applyOrFail(drawing);
  await go();
  await engine.destroy(s.id);
} else if (mode === 'count') {
  arm();
  await applyOrFail(drawing);
  const apply = mutatingCommandCount();
  await applyOrFail(EMPTY);
  const teardown = mutatingCommandCount() - apply;
  delete process.env.NSPLAY_TEST_COUNT;
  await engine.destroy(s.id);
  process.stdout.write(`${JSON.stringify({ apply, teardown })}\n`);
  process.exit(0);
}
// Reached only when K was larger than the number of mutating commands: say so, and leave the session
// to the reclaim like a crash would.
process.stdout.write('survived\n');
process.exit(0);
