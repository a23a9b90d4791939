// `nsplay lab …` as a learner types it: list, check, run --to, progress, reset — and the exit codes:
// 0 only when every evaluated check passed (check) or every step ran and passed (run).
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession, nsplay } from './cli.ts';
import { ROOT, TEST_STATE_DIR } from './env.ts';

const sessions: string[] = [];
afterAll(async () => {
  for (const id of sessions) await nsplay(['session', 'destroy', id]);
});

describe('nsplay lab', () => {
  it('lists the eight labs', async () => {
    const r = await nsplay(['lab', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const labs = JSON.parse(r.stdout) as { id: string; steps: number }[];
    expect(labs.map((l) => l.id)).toEqual(['01-rootns-netns', '02-rootns-netns-netns', '03-bridge', '04-expose-service', '05-load-balancer', '06-cni', '07-rootns-netns-docker', '08-secondary-ip-docker']);
    expect(labs.every((l) => l.steps >= 5)).toBe(true);
  });

  it('checks, runs to a step, keeps progress, runs the rest, and resets', async () => {
    const id = await createSession('01-rootns-netns');
    sessions.push(id);
    const first = await nsplay(['lab', 'check', id]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('step 1: NOT passed');
    expect(first.stdout).toContain('✗ ip netns lists netns1');

    const two = await nsplay(['lab', 'run', id, '--to', '2']);
    expect(two.code, two.stdout + two.stderr).toBe(0);
    expect(two.stdout).toContain('── step 1: Create the namespace');
    expect(two.stdout).toContain('ip link add veth0 type veth peer name veth1\n');
    expect(two.stdout).not.toContain('── step 3');
    expect(two.stdout).toContain('every step through 2 passed');
    const progress = JSON.parse((await nsplay(['lab', 'progress', id, '--json'])).stdout);
    expect(progress.current).toBe(2);
    expect(progress.steps.map((s: { passed: boolean }) => s.passed)).toEqual([true, true, false, false, false]);

    const rest = await nsplay(['lab', 'run', id]);
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    expect(rest.stdout).not.toContain('── step 2');
    expect(rest.stdout).toContain('64 bytes from 10.0.0.101');
    // Every step's checks at once: the clean-up step undid what steps 1–4 built.
    const all = await nsplay(['lab', 'check', id, '--all', '--json']);
    expect(all.code).toBe(1);
    expect(JSON.parse(all.stdout).steps.map((s: { passed: boolean }) => s.passed)).toEqual([false, false, false, false, true]);

    const reset = await nsplay(['lab', 'reset', id, '--json']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout).current).toBe(0);
  }, 180_000);

  it('refuses what is not a step or not a lab session, before running anything', async () => {
    const blank = await createSession();
    sessions.push(blank);
    // sessions[0] is the lab 1 session of the test above.
    for (const [args, code, message] of [
      [['lab', 'run', sessions[0], '--to', '0'], 2, "'0' is not a step number"],
      [['lab', 'run', sessions[0], '--to', '9'], 2, 'has steps 1–5; there is no step 9'],
      [['lab', 'check', sessions[0], '--step', '1;reboot'], 2, 'is not a step number'],
      [['lab', 'check', blank], 2, 'was not made for a lab'],
      [['lab', 'check', 's000000'], 1, "no session 's000000'"],
    ] as const) {
      const r = await nsplay([...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toContain(message);
    }
  }, 120_000);

  it('exits 1 and stops at the first step whose checks fail', async () => {
    const labs = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-labs-'));
    try {
      fs.mkdirSync(path.join(labs, 'profiles'));
      fs.copyFileSync(path.join(ROOT, 'labs/profiles/vbox.yaml'), path.join(labs, 'profiles/vbox.yaml'));
      fs.mkdirSync(path.join(labs, '01-broken'));
      fs.writeFileSync(path.join(labs, '01-broken/lab.yaml'), [
        'id: 01-broken', 'title: Broken', 'summary: A step whose check cannot pass.', 'sandbox: vbox', 'steps:',
        '  - title: Works', '    commands: ip netns add one', '    checks: [{ netns: { name: one } }]',
        '  - title: Does not', '    commands: ip netns add two', '    checks: [{ netns: { name: three } }]',
        '  - title: Never reached', '    commands: ip netns add four', '    checks: [{ netns: { name: four } }]', '',
      ].join('\n'));
      const env = { NSPLAY_STATE_DIR: TEST_STATE_DIR, NSPLAY_LABS_DIR: labs };
      const cli = (args: string[]) => execa(process.execPath, [path.join(ROOT, 'bin/nsplay.js'), ...args], { reject: false, env, timeout: 60_000 });
      const created = await cli(['session', 'create', '--lab', '01-broken']);
      expect(created.exitCode, String(created.stderr)).toBe(0);
      const id = String(created.stdout).trim();
      try {
        const r = await cli(['lab', 'run', id]);
        expect(r.exitCode).toBe(1);
        expect(String(r.stdout)).toContain('✗ ip netns lists three');
        expect(String(r.stdout)).toContain('stopped at step 2');
        expect(String(r.stdout)).not.toContain('── step 3');
      } finally {
        await cli(['session', 'destroy', id]);
      }
    } finally {
      fs.rmSync(labs, { recursive: true, force: true });
    }
  }, 120_000);
});
