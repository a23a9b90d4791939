'use client';
// iptables as a structured form: chain policies and rules (match + target), never free text.
import { BUILTIN_CHAINS, TABLES, TARGETS, type IptablesRule, type Table, type TopoNode } from '@/server/topology/schema';
import { AddButton, NumberField, RemoveButton, Row, Section, SelectField, TextField } from './fields';

type Ipt = NonNullable<TopoNode['iptables']>;

interface Props {
  node: TopoNode;
  path: string;
  errorsAt(path: string): string[];
  onChange(next: Ipt | undefined, key: string): void;
  ifnames: string[];
  /** Policies the lab's machine already sets (shown as the default). */
  basePolicies?: { table: string; chain: string; policy: string }[];
}

const PRESETS: { label: string; rule: IptablesRule }[] = [
  { label: 'MASQUERADE', rule: { table: 'nat', chain: 'POSTROUTING', source: '10.0.0.0/24', jump: 'MASQUERADE' } },
  { label: 'DNAT port', rule: { table: 'nat', chain: 'PREROUTING', protocol: 'tcp', dport: 8080, jump: 'DNAT', toDestination: '10.0.0.101:80' } },
  { label: 'FORWARD accept', rule: { table: 'filter', chain: 'FORWARD', jump: 'ACCEPT' } },
];

function tidy(ipt: Ipt): Ipt | undefined {
  const out: Ipt = {};
  if (ipt.policies?.length) out.policies = ipt.policies;
  if (ipt.chains?.length) out.chains = ipt.chains;
  if (ipt.rules?.length) out.rules = ipt.rules;
  return Object.keys(out).length ? out : undefined;
}

function cleanRule(r: IptablesRule): IptablesRule {
  const out = { ...r } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (v === undefined || v === '') delete out[k];
  return out as IptablesRule;
}

export default function IptablesEditor({ node, path, errorsAt, onChange, ifnames, basePolicies = [] }: Props) {
  const ipt: Ipt = node.iptables ?? {};
  const rules = ipt.rules ?? [];
  const policies = ipt.policies ?? [];
  const setRules = (next: IptablesRule[], key: string) => onChange(tidy({ ...ipt, rules: next }), key);
  const setRule = (j: number, patch: Partial<IptablesRule>, field: string) =>
    setRules(rules.map((r, k) => (k === j ? cleanRule({ ...r, ...patch }) : r)), `rule${j}.${field}`);
  const policyOf = (table: Table, chain: string) => policies.find((p) => p.table === table && p.chain === chain)?.policy ?? '';
  const setPolicy = (table: Table, chain: string, policy: string) => {
    const rest = policies.filter((p) => !(p.table === table && p.chain === chain));
    onChange(tidy({ ...ipt, policies: policy ? [...rest, { table, chain, policy: policy as 'ACCEPT' | 'DROP' }] : rest }), `policy.${table}.${chain}`);
  };
  const userChains = (table: string) => (ipt.chains ?? []).filter((c) => c.table === table).map((c) => c.name);

  return (
    <>
      <Section title="Chain policies" defaultOpen={policies.length > 0 || basePolicies.length > 0} count={policies.length}>
        <div className="grid grid-cols-3 gap-1.5">
          {BUILTIN_CHAINS.filter.map((chain) => (
            <SelectField key={chain} label={`filter ${chain}`} value={policyOf('filter', chain)}
              options={[{ value: '', label: `default (${basePolicies.find((b) => b.table === 'filter' && b.chain === chain)?.policy ?? 'ACCEPT'})` }, 'ACCEPT', 'DROP']}
              testid={`policy-filter-${chain}`} onChange={(v) => setPolicy('filter', chain, v)} />
          ))}
        </div>
        {policies.filter((p) => p.table !== 'filter').map((p) => (
          <div key={`${p.table}/${p.chain}`} className="mono text-[11px]">{p.table} {p.chain}: {p.policy}</div>
        ))}
      </Section>
      <Section title="iptables rules" count={rules.length} defaultOpen={rules.length > 0} testid="section-iptables">
        <div className="flex flex-wrap items-center gap-1">
          <span className="muted text-[11.5px]">add:</span>
          {PRESETS.map((p) => <AddButton key={p.label} onClick={() => setRules([...rules, p.rule], 'add')} testid={`add-rule-${p.label.split(' ')[0].toLowerCase()}`}>{p.label}</AddButton>)}
        </div>
        {rules.length === 0 && <div className="muted text-[12px]">No rules. Add one from a preset, then edit its fields.</div>}
        {rules.map((r, j) => {
          const at = (f: string) => errorsAt(`${path}.rules[${j}].${f}`);
          const chains = [...(BUILTIN_CHAINS[r.table] ?? []), ...userChains(r.table)];
          return (
            <div key={j} className="rounded-md border p-2" style={{ borderColor: 'var(--border)', background: 'var(--panel-2)' }} data-testid={`rule-${j}`}>
              <Row>
                <SelectField label="table" value={r.table} options={TABLES} onChange={(v) => setRule(j, { table: v, chain: BUILTIN_CHAINS[v][0] }, 'table')} errors={at('table')} />
                <SelectField label="chain" value={r.chain} options={chains.includes(r.chain) ? chains : [...chains, r.chain]} onChange={(v) => setRule(j, { chain: v }, 'chain')} errors={at('chain')} />
                <SelectField label="target" value={r.jump} options={[...TARGETS, ...userChains(r.table)]} onChange={(v) => setRule(j, { jump: v }, 'jump')} errors={at('jump')} testid={`rule-${j}-jump`} />
                <div className="pt-4"><RemoveButton onClick={() => setRules(rules.filter((_, k) => k !== j), 'remove')} title="remove rule" /></div>
              </Row>
              <div className="mt-1.5 grid grid-cols-2 gap-1.5">
                <TextField label="source (-s)" value={r.source} placeholder="any" errors={at('source')} onChange={(v) => setRule(j, { source: v }, 'source')} />
                <TextField label="destination (-d)" value={r.destination} placeholder="any" errors={at('destination')} onChange={(v) => setRule(j, { destination: v }, 'destination')} />
                <SelectField label="in interface (-i)" value={r.inIface ?? ''} options={['', ...ifnames.filter((x) => x !== r.inIface), ...(r.inIface ? [r.inIface] : [])]} errors={at('inIface')} onChange={(v) => setRule(j, { inIface: v || undefined }, 'in')} />
                <SelectField label="out interface (-o)" value={r.outIface ?? ''} options={['', ...ifnames.filter((x) => x !== r.outIface), ...(r.outIface ? [r.outIface] : [])]} errors={at('outIface')} onChange={(v) => setRule(j, { outIface: v || undefined }, 'out')} />
                <SelectField label="protocol (-p)" value={r.protocol ?? ''} options={['', 'tcp', 'udp', 'icmp'] as const} errors={at('protocol')}
                  onChange={(v) => setRule(j, { protocol: (v || undefined) as IptablesRule['protocol'], ...(v === 'tcp' || v === 'udp' ? {} : { sport: undefined, dport: undefined }) }, 'protocol')} />
                {(r.protocol === 'tcp' || r.protocol === 'udp') && (
                  <Row>
                    <NumberField label="sport" value={r.sport} errors={at('sport')} onChange={(v) => setRule(j, { sport: v }, 'sport')} />
                    <NumberField label="dport" value={r.dport} errors={at('dport')} onChange={(v) => setRule(j, { dport: v }, 'dport')} />
                  </Row>
                )}
                {r.jump === 'DNAT' && <TextField label="to destination" value={r.toDestination} placeholder="10.0.0.101:80" errors={at('toDestination')} onChange={(v) => setRule(j, { toDestination: v }, 'todst')} />}
                {r.jump === 'SNAT' && <TextField label="to source" value={r.toSource} placeholder="192.168.56.12" errors={at('toSource')} onChange={(v) => setRule(j, { toSource: v }, 'tosrc')} />}
                <SelectField label="statistic" value={r.statistic?.mode ?? ''} options={['', 'random', 'nth'] as const}
                  onChange={(v) => setRule(j, { statistic: v === 'random' ? { mode: 'random', probability: 0.5 } : v === 'nth' ? { mode: 'nth', every: 2, packet: 0 } : undefined }, 'stat')} />
                {r.statistic?.mode === 'random' && (
                  <NumberField label="probability" value={r.statistic.probability} errors={at('statistic')}
                    onChange={(v) => setRule(j, { statistic: { mode: 'random', probability: v ?? NaN } }, 'prob')} />
                )}
                {r.statistic?.mode === 'nth' && (
                  <Row>
                    <NumberField label="every" value={r.statistic.every} onChange={(v) => setRule(j, { statistic: { mode: 'nth', every: v ?? NaN, packet: (r.statistic as { packet: number }).packet } }, 'every')} />
                    <NumberField label="packet" value={r.statistic.packet} onChange={(v) => setRule(j, { statistic: { mode: 'nth', every: (r.statistic as { every: number }).every, packet: v ?? NaN } }, 'packet')} />
                  </Row>
                )}
              </div>
            </div>
          );
        })}
      </Section>
    </>
  );
}
