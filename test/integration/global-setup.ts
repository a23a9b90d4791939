// Integration suite guard: the machine's root namespace and mount table must be byte-identical after
// the suite, and nothing of nsplay's (sessions, holders) may be left in the suite's state directory.
import fs from 'node:fs';
import { diffSnapshots, snapshotMachine } from './machine-snapshot.ts';
import { plantCanaries, readCanaries, removeCanaries } from './canaries.ts';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject) {
  const TEST_STATE_DIR = process.env.NSPLAY_TEST_STATE_DIR ?? `/run/nsplay-test-${process.pid}`;
  project.provide('nsplayStateDir', TEST_STATE_DIR);
  if (process.getuid?.() !== 0) throw new Error('the integration tests need root (they build real namespaces)');
  fs.rmSync(TEST_STATE_DIR, { recursive: true, force: true });
  const canaries = plantCanaries();
  const canariesBefore = readCanaries(canaries);
  const before = snapshotMachine();
  return () => {
    const after = snapshotMachine();
    const canariesAfter = readCanaries(canaries);
    removeCanaries(canaries);
    const leftovers = fs.existsSync(`${TEST_STATE_DIR}/sessions`) ? fs.readdirSync(`${TEST_STATE_DIR}/sessions`) : [];
    const holders = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(TEST_STATE_DIR); } catch { return false; }
    });
    const problems = [
      ...diffSnapshots(before, after),
      ...(canariesAfter !== canariesBefore ? [`foreign state changed:\n--- before\n${canariesBefore}\n--- after\n${canariesAfter}`] : []),
      ...(leftovers.length ? [`sessions left in ${TEST_STATE_DIR}: ${leftovers.join(', ')}`] : []),
      ...(holders.length ? [`processes of the suite still running: ${holders.join(', ')}`] : []),
    ];
    fs.rmSync(TEST_STATE_DIR, { recursive: true, force: true });
    if (problems.length) throw new Error(`the machine was changed by the integration suite:\n${problems.join('\n')}`);
  };
}
