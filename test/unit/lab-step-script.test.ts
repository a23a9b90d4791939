// A step's commands run as typed in one shell: echoed as read, in the work directory, with the shell
// variables of earlier steps (the seed's $container_id) — and a server left in the background cannot
// hold the runner. Plain bash in a temporary directory: no namespaces needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStepScript, stepScript } from '../../server/labs/step-script.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-step-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const work = path.join(dir, 'work');
fs.mkdirSync(work);
const vars = path.join(dir, 'vars.sh');

async function step(n: number, commands: string, timeoutMs = 10_000) {
  const file = path.join(dir, `step-${n}.sh`);
  fs.writeFileSync(file, stepScript({ title: `step ${n}`, commands, workDir: work, varsFile: vars }));
  return runStepScript(['bash', file], path.join(dir, `step-${n}.log`), timeoutMs);
}

describe('running a step\'s commands', () => {
  it('echoes each line as read, runs in the work directory, and carries lowercase variables to the next step', async () => {
    const a = await step(1, "container_id=abc123\nnetID=$container_id\ngw_dev=$(echo enp0s3)\nPATH_LIKE=no\npwd\necho hello > out.txt\n");
    expect(a.code).toBe(0);
    expect(a.output).toContain('container_id=abc123\n');
    expect(a.output).toContain(`pwd\n${work}\n`);
    expect(a.output).not.toContain('__nsplay');
    expect(fs.readFileSync(path.join(work, 'out.txt'), 'utf8')).toBe('hello\n');
    const b = await step(2, 'echo "id=$container_id net=$netID dev=$gw_dev upper=${PATH_LIKE:-unset}"\n');
    expect(b.output).toContain('id=abc123 net=abc123 dev=enp0s3 upper=unset');
  });

  it('keeps going after a failing line (the checks decide, not the exit status) and reports the last status', async () => {
    const r = await step(3, 'false\necho after\nexit 3\n');
    expect(r.output).toContain('after');
    expect(r.code).toBe(3);
  });

  it('returns when the shell exits, even with a server left running in the background', async () => {
    const started = Date.now();
    const r = await step(4, 'sleep 30 &\necho $! > bg.pid\necho started\n');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.output).toContain('started');
    const pid = Number(fs.readFileSync(path.join(work, 'bg.pid'), 'utf8'));
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    process.kill(pid, 'SIGKILL');
  });

  it('stops a step that runs too long, with everything it started', async () => {
    const r = await step(5, 'sleep 30 & echo $! > slow.pid\nsleep 30\n', 500);
    expect(r.timedOut).toBe(true);
    expect(r.code).toBe(124);
    expect(r.output).toContain('stopped after');
    const pid = Number(fs.readFileSync(path.join(work, 'slow.pid'), 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    const alive = fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    expect(alive).toBe(false);
  });

  it('quotes the paths it puts into the script', () => {
    const text = stepScript({ title: 'x', commands: 'true', workDir: "/tmp/it's here", varsFile: '/tmp/v' });
    expect(text).toContain("cd '/tmp/it'\\''s here' || exit 1");
  });
});
