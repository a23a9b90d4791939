// The lab files: all eight seed sections are there, valid, self-consistent, faithful to the seed's
// commands, and described by the checked-in docs/lab.schema.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listLabIds, loadLab, loadProfile } from '../../server/labs/catalog.ts';
import { kindOf } from '../../server/labs/checks/schema.ts';
import { LAB_SCHEMA_PATH, labJsonSchemaText } from '../../server/labs/json-schema.ts';
import { labView } from '../../server/labs/runner.ts';
import { loadTopology } from '../../server/topology/load.ts';
import { SEED_VERBATIM } from './lab-seed-commands.ts';

const LABS = ['01-rootns-netns', '02-rootns-netns-netns', '03-bridge', '04-expose-service', '05-load-balancer', '06-cni',
  '07-rootns-netns-docker', '08-secondary-ip-docker'];
const lines = (labId: string) => loadLab(labId).steps.flatMap((s) => (s.commands ?? '').split('\n').map((l) => l.trim()));

describe('the labs', () => {
  it('are the eight seed sections, in order', () => {
    expect(listLabIds()).toEqual(LABS);
    expect(LABS.map((id) => loadLab(id).seedSection)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each(LABS)('%s: loads, names a sandbox profile that loads, and every step has commands and checks', (id) => {
    const lab = loadLab(id);
    expect(() => loadProfile(lab.sandbox)).not.toThrow();
    expect(lab.steps.length).toBeGreaterThanOrEqual(5);
    for (const s of lab.steps) {
      expect(s.commands?.trim(), s.title).toBeTruthy();
      expect(s.checks.length, s.title).toBeGreaterThan(0);
    }
    expect(labView(lab).steps.every((s) => s.checkLabels.length === s.checks.length && s.checkLabels.every((l) => l.length > 5))).toBe(true);
  });

  it.each(Object.entries(SEED_VERBATIM))('%s runs the seed\'s commands verbatim', (id, seedLines) => {
    const have = new Set(lines(id));
    expect(seedLines.filter((l) => !have.has(l))).toEqual([]);
  });

  it.each(LABS)('%s: every ping and tcpdump stops by itself, and the step says where a command differs from the seed', (id) => {
    for (const s of loadLab(id).steps) {
      for (const l of (s.commands ?? '').split('\n')) {
        if (/(^|\s)ping\s/.test(l)) expect(l, s.title).toMatch(/ping -c \d/);
        if (/(^|\s)tcpdump\s/.test(l)) expect(l, s.title).toMatch(/timeout \d+ tcpdump .*-c \d/);
        if (/ping -c|timeout \d+ tcpdump/.test(l) && loadLab(id).seedSection !== 5) expect(s.adapted.length, `${s.title}: ${l}`).toBeGreaterThan(0);
      }
    }
  });

  it('never download anything: the seed\'s curl from GitHub is replaced by Debian\'s plugins, and says why', () => {
    const cni = loadLab('06-cni');
    const all = lines('06-cni').join('\n');
    expect(all).not.toMatch(/github\.com|curl -OL|\.tgz/);
    expect(all).toContain('ln -s /usr/lib/cni/* cni-bin/');
    expect(cni.steps[0].adapted.join(' ')).toMatch(/nothing leaves the sandbox/);
  });

  it('answer the seed\'s FAQ in notes on the steps they explain', () => {
    const faq = LABS.flatMap((id) => loadLab(id).steps.flatMap((s) => s.notes.filter((n) => n.faq).map((n) => `${id}: ${n.title} ${n.text}`)));
    expect(faq.some((n) => /docker0/.test(n) && /bridge/.test(n))).toBe(true);
    expect(faq.some((n) => /ip netns/.test(n) && /ln -sfT \/proc\/\$pid\/ns\/net/.test(n))).toBe(true);
    expect(faq.some((n) => /tcpdump -i any -nn icmp/.test(n))).toBe(true);
  });

  it('lab 5 balances with statistic DNAT in its own chain, then nftables numgen, and only mentions IPVS', () => {
    const all = lines('05-load-balancer').join('\n');
    expect(all).toContain('iptables -t nat -N LB-WEB');
    expect(all).toMatch(/-m statistic --mode random --probability 0\.33333 .*10\.0\.0\.11/);
    expect(all).toMatch(/-m statistic --mode random --probability 0\.5 .*10\.0\.0\.12/);
    expect(all).toContain('numgen random mod 3');
    expect(all).toContain('conntrack -L');
    expect(all).not.toMatch(/ipvsadm/);
    const notes = loadLab('05-load-balancer').steps.flatMap((s) => s.notes.map((n) => n.text)).join(' ');
    expect(notes).toMatch(/IPVS/);
  });

  it('lab 5 has its end state drawn (the iptables balancer), valid as a topology', () => {
    const r = loadTopology(readFileSync(new URL('../../labs/05-load-balancer/final.yaml', import.meta.url), 'utf8'));
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).toBe(true);
  });

  it('use only check kinds that say something about the kernel or a file the step wrote', () => {
    const kinds = new Set(LABS.flatMap((id) => loadLab(id).steps.flatMap((s) => s.checks.map((c) => kindOf(c).kind))));
    expect([...kinds].sort()).toEqual(['address', 'conntrack', 'container', 'file', 'http', 'iptables', 'json', 'link', 'neighbor', 'netns', 'nft', 'reach', 'route', 'rule']);
  });
});

describe('docs/lab.schema.json', () => {
  it('is exactly what server/labs/json-schema.ts generates now (node --import tsx server/labs/json-schema.ts)', () => {
    expect(readFileSync(LAB_SCHEMA_PATH, 'utf8')).toBe(labJsonSchemaText());
  });

  it('describes steps and their fourteen kinds of check', () => {
    const s = JSON.parse(readFileSync(LAB_SCHEMA_PATH, 'utf8'));
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.required).toEqual(expect.arrayContaining(['id', 'title', 'summary', 'sandbox']));
    const step = s.properties.steps.items;
    expect(step.required).toEqual(['title']);
    expect(step.additionalProperties).toBe(false);
    const kinds = step.properties.checks.items.anyOf.map((b: { required: string[] }) => b.required[0]);
    expect(kinds).toHaveLength(14);
    const reach = step.properties.checks.items.anyOf.find((b: { required: string[] }) => b.required[0] === 'reach').properties.reach;
    expect(reach.properties.expect.enum).toEqual(['ok', 'fail']);
    expect(reach.properties.from.pattern).toBeTruthy();
  });
});
