'use client';
// Everything the Topology holds for one node: name, interfaces and their addresses, routes, sysctls,
// static ARP, iptables, HTTP services. Each field shows the validator's sentence for its path.
import { endsOf, renameNode, setEnd, setNode } from '@/lib/commands';
import type { NodeLive } from '@/lib/live';
import { checkNodeName } from '@/server/topology/names';
import type { NeighborEntry, Route, Service, Topology, TopoNode, VethPair } from '@/server/topology/schema';
import { ensureNode } from '@/lib/view';
import type { Edit } from '../canvas/Canvas';
import { KindIcon } from '../icons';
import IptablesEditor from './IptablesEditor';
import { AddButton, AddressList, Check, CommitField, NumberField, RemoveButton, Row, Section, SelectField, TextField } from './fields';

interface Props {
  doc: Topology;
  /** The drawing's entry for the node (an empty one for a sandbox node not drawn on yet). */
  node: TopoNode;
  /** For the sandbox's own nodes: what the lab's machine already has (read-only). */
  sandbox?: TopoNode;
  sandboxLinks: VethPair[];
  live?: NodeLive;
  errorsAt(path: string): string[];
  edit: Edit;
  onRenamed(name: string): void;
  openTerminal(node: string): void;
}

export default function NodeInspector({ doc, node, sandbox, sandboxLinks, live, errorsAt, edit, onRenamed, openTerminal }: Props) {
  const i = doc.nodes.findIndex((n) => n.name === node.name);
  const p = `nodes[${i < 0 ? doc.nodes.length : i}]`;
  const name = node.name;
  const patch = (field: string, value: Partial<TopoNode>, label = `set ${field} of ${name}`) =>
    edit(label, (d) => setNode(ensureNode(d, name, node.kind), name, value), `${name}.${field}`);
  const ends = endsOf(doc, name);
  const sandboxIfs = sandboxLinks.flatMap((l) => (l.a.node === name ? [l.a] : l.b.node === name ? [l.b] : []));
  const ifnames = [...sandboxIfs.map((e) => e.ifname), ...ends.map((e) => e.end.ifname), ...(node.addresses ?? []).flatMap((a) => (typeof a === 'string' ? [] : [a.dev]))];
  const uniqIfnames = [...new Set(ifnames)];
  const isBridge = node.kind === 'bridge';
  const namespaces = doc.nodes.filter((n) => n.kind !== 'bridge' && n.kind !== 'container').map((n) => n.name);

  return (
    <div data-testid={`inspect-node-${name}`}>
      <div className="flex items-center gap-2 px-3 pb-2 pt-3">
        <span className={`kind-${node.kind}`} style={{ color: 'var(--c)' }}><KindIcon kind={node.kind} size={20} /></span>
        <div className="min-w-0 flex-1">
          <div className="truncate text-[15px] font-bold">{name}</div>
          <div className="muted text-[11.5px]">{node.kind}{live ? ` · ${live.state === 'up' ? 'in the kernel' : live.state === 'missing' ? 'missing from the kernel' : 'not applied yet'}` : ''}</div>
        </div>
        <button className="btn" onClick={() => openTerminal(isBridge ? (node.in ?? 'host') : name)} data-testid="inspector-terminal">Terminal</button>
      </div>
      <div className="flex flex-col gap-2 px-3 pb-3">
        {sandbox ? (
          <SandboxSummary node={sandbox} links={sandboxIfs} />
        ) : (
          <CommitField label="name" value={name} testid="node-name" check={(v) => checkNodeName(v) ?? (doc.nodes.some((n) => n.name === v) ? `'${v}' is already used` : null)}
            onCommit={(v) => { edit(`rename ${name} to ${v}`, (d) => renameNode(d, name, v)); onRenamed(v); }} />
        )}
        {errorsAt(`${p}.name`).map((m) => <div key={m} className="field-error">{m}</div>)}
        {node.kind === 'container' && (
          <TextField label="image" value={node.image} placeholder="default (the local nsplay image)" errors={errorsAt(`${p}.image`)} testid="node-image"
            onChange={(v) => patch('image', { image: v || undefined })} />
        )}
        {isBridge && (
          <SelectField label="lives in namespace" value={node.in ?? 'host'} options={['host', ...namespaces.filter((n) => n !== 'host')]} errors={errorsAt(`${p}.in`)}
            onChange={(v) => patch('in', { in: v === 'host' ? undefined : v })} />
        )}
      </div>

      <Section title={isBridge ? 'Ports' : 'Interfaces'} count={ends.length} testid="section-interfaces">
        {ends.length === 0 && <div className="muted text-[12px]">No {isBridge ? 'ports' : 'veth interfaces'} yet. Drag from this node&apos;s blue dot to another node.</div>}
        {ends.map(({ index, side, end, peer }) => {
          const ep = `links[${index}].${side}`;
          return (
            <div key={`${index}${side}`} className="rounded-md border p-2" style={{ borderColor: 'var(--border)', background: 'var(--panel-2)' }} data-testid={`iface-${end.ifname}`}>
              <Row>
                <TextField label="interface" value={end.ifname} errors={errorsAt(`${ep}.ifname`)} testid={`iface-${index}${side}-ifname`}
                  onChange={(v) => edit(`rename interface ${end.ifname}`, (d) => setEnd(d, index, side, { ifname: v }), `${ep}.ifname`)} />
                <div className="muted shrink-0 pt-5 text-[11px]" title="the other end of the veth pair">→ {peer.node}:{peer.ifname}</div>
              </Row>
              {!isBridge && (
                <div className="mt-1.5">
                  <span className="muted mb-0.5 block text-[11px]">addresses</span>
                  <AddressList values={end.addresses ?? []} errorsAt={errorsAt} pathPrefix={`${ep}.addresses`} testid={`iface-${end.ifname}-address`}
                    onChange={(v) => edit(`set addresses of ${name}:${end.ifname}`, (d) => setEnd(d, index, side, { addresses: v }), `${ep}.addresses`)} />
                </div>
              )}
            </div>
          );
        })}
      </Section>

      {isBridge ? (
        <Section title="Bridge addresses" count={node.addresses?.length}>
          <div className="muted text-[12px]">An address on the bridge puts {node.in ?? 'host'} on the switched network (the gateway, 10.0.0.1/24 in the seed).</div>
          <AddressList values={(node.addresses ?? []).map((a) => (typeof a === 'string' ? a : a.address))} errorsAt={errorsAt} pathPrefix={`${p}.addresses`}
            testid="bridge-address" placeholder="10.0.0.1/24" onChange={(v) => patch('addresses', { addresses: v })} />
        </Section>
      ) : (
        <>
          <OtherAddresses node={node} p={p} errorsAt={errorsAt} patch={patch} />
          <Routes node={node} p={p} errorsAt={errorsAt} patch={patch} ifnames={uniqIfnames} />
          <Sysctls node={node} p={p} errorsAt={errorsAt} patch={patch} ifnames={uniqIfnames} base={sandbox?.sysctls} />
          <Neighbors node={node} p={p} errorsAt={errorsAt} patch={patch} ifnames={uniqIfnames} />
          <IptablesEditor node={node} path={`${p}.iptables`} errorsAt={errorsAt} ifnames={uniqIfnames} basePolicies={sandbox?.iptables?.policies}
            onChange={(next, key) => edit(`edit iptables of ${name}`, (d) => setNode(d, name, { iptables: next }), `${name}.ipt.${key}`)} />
          <Services node={node} p={p} errorsAt={errorsAt} patch={patch} />
        </>
      )}
    </div>
  );
}

/** What the lab's machine gives this node before anything is drawn: shown, not editable here. */
function SandboxSummary({ node, links }: { node: TopoNode; links: { ifname: string; addresses?: string[] }[] }) {
  const lines: string[] = [];
  for (const l of links) lines.push(`${l.ifname} ${(l.addresses ?? []).join(' ')}`);
  for (const a of node.addresses ?? []) lines.push(typeof a === 'string' ? a : `${a.dev} ${a.address}`);
  for (const r of node.routes ?? []) lines.push(`route ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`);
  for (const [k, v] of Object.entries(node.sysctls ?? {})) lines.push(`${k} = ${v}`);
  for (const pol of node.iptables?.policies ?? []) lines.push(`iptables -t ${pol.table} -P ${pol.chain} ${pol.policy}`);
  for (const s of node.services ?? []) lines.push(`http :${s.port}`);
  return (
    <div className="rounded-md border p-2" style={{ borderColor: 'var(--border)' }} data-testid="sandbox-summary">
      <div className="muted mb-1 text-[11.5px]">Part of the lab&apos;s machine. It already has:</div>
      {lines.length ? lines.map((l) => <div key={l} className="mono text-[11.5px]">{l}</div>) : <div className="muted">nothing yet</div>}
      <div className="muted mt-1 text-[11.5px]">What you add below is applied on top.</div>
    </div>
  );
}

type Patch = (field: string, value: Partial<TopoNode>, label?: string) => void;
interface SubProps { node: TopoNode; p: string; errorsAt(path: string): string[]; patch: Patch; ifnames?: string[] }

function OtherAddresses({ node, p, errorsAt, patch }: SubProps) {
  const list = (node.addresses ?? []).map((a) => (typeof a === 'string' ? { dev: '', address: a } : a));
  const set = (next: { dev: string; address: string }[]) => patch('addresses', { addresses: next });
  return (
    <Section title="Other addresses" count={list.length} defaultOpen={list.length > 0}
      action={<AddButton onClick={() => set([...list, { dev: 'lo', address: '' }])}>address</AddButton>}>
      <div className="muted text-[12px]">Addresses on interfaces that are not veth ends (loopback, a dummy, the uplink).</div>
      {list.map((a, j) => (
        <Row key={j}>
          <TextField label="dev" width="38%" value={a.dev} errors={errorsAt(`${p}.addresses[${j}].dev`)} onChange={(v) => set(list.map((x, k) => (k === j ? { ...x, dev: v } : x)))} />
          <TextField label="address" value={a.address} placeholder="10.0.9.1/32" errors={[...errorsAt(`${p}.addresses[${j}].address`), ...errorsAt(`${p}.addresses[${j}]`)]}
            onChange={(v) => set(list.map((x, k) => (k === j ? { ...x, address: v } : x)))} />
          <div className="pt-4"><RemoveButton onClick={() => set(list.filter((_, k) => k !== j))} /></div>
        </Row>
      ))}
    </Section>
  );
}

function Routes({ node, p, errorsAt, patch, ifnames = [] }: SubProps) {
  const routes = node.routes ?? [];
  const set = (next: Route[]) => patch('routes', { routes: next });
  const upd = (j: number, r: Partial<Route>) => set(routes.map((x, k) => (k === j ? (Object.fromEntries(Object.entries({ ...x, ...r }).filter(([, v]) => v !== undefined && v !== '')) as Route) : x)));
  return (
    <Section title="Routes" count={routes.length} defaultOpen={routes.length > 0} testid="section-routes"
      action={<AddButton onClick={() => set([...routes, { dst: 'default', via: '', dev: ifnames[0] } as Route])} testid="add-route">route</AddButton>}>
      {routes.map((r, j) => {
        const at = (f: string) => errorsAt(`${p}.routes[${j}].${f}`);
        return (
          <div key={j} className="rounded-md border p-2" style={{ borderColor: 'var(--border)', background: 'var(--panel-2)' }}>
            <Row>
              <TextField label="destination" value={r.dst} placeholder="default" errors={at('dst')} testid={`route-${j}-dst`} onChange={(v) => upd(j, { dst: v })} />
              <TextField label="via" value={r.via} placeholder="10.0.0.1" errors={at('via')} testid={`route-${j}-via`} onChange={(v) => upd(j, { via: v || undefined })} />
              <div className="pt-4"><RemoveButton onClick={() => set(routes.filter((_, k) => k !== j))} /></div>
            </Row>
            <Row>
              <SelectField label="dev" value={r.dev ?? ''} options={['', ...ifnames, ...(r.dev && !ifnames.includes(r.dev) ? [r.dev] : [])]} errors={at('dev')} onChange={(v) => upd(j, { dev: v || undefined })} />
              <SelectField label="scope" value={r.scope ?? ''} options={['', 'link', 'host', 'global'] as const} onChange={(v) => upd(j, { scope: (v || undefined) as Route['scope'] })} />
              <TextField label="src" value={r.src} errors={at('src')} onChange={(v) => upd(j, { src: v || undefined })} />
              <NumberField label="metric" value={r.metric} errors={at('metric')} onChange={(v) => upd(j, { metric: v })} />
            </Row>
            {errorsAt(`${p}.routes[${j}]`).map((m) => <div key={m} className="field-error">{m}</div>)}
          </div>
        );
      })}
    </Section>
  );
}

function Sysctls({ node, p, errorsAt, patch, ifnames = [], base = {} }: SubProps & { base?: Record<string, string> }) {
  const s = node.sysctls ?? {};
  const set = (key: string, value: string | undefined) => {
    const next = { ...s };
    if (value === undefined) delete next[key]; else next[key] = value;
    patch('sysctls', { sysctls: next }, `set ${key} on ${node.name}`);
  };
  // A switch shows what will be in effect: the drawing's value, else the lab machine's.
  const on = (key: string) => String(s[key] ?? base[key] ?? '') === '1';
  const toggle = (key: string, v: boolean) => {
    const want = v ? '1' : '0';
    set(key, String(base[key] ?? '0') === want ? undefined : want);
  };
  const known = new Set(['net.ipv4.ip_forward', ...ifnames.map((f) => `net.ipv4.conf.${f}.proxy_arp`)]);
  const others = Object.entries(s).filter(([k]) => !known.has(k));
  return (
    <Section title="Sysctls" count={Object.keys(s).length} defaultOpen={Object.keys(s).length > 0 || node.kind === 'host' || node.kind === 'router'}>
      <Check label={<span><b>ip_forward</b> <span className="muted">route packets between interfaces{base['net.ipv4.ip_forward'] !== undefined && s['net.ipv4.ip_forward'] === undefined ? ' (set by the lab machine)' : ''}</span></span>}
        checked={on('net.ipv4.ip_forward')} testid="sysctl-ip_forward" onChange={(v) => toggle('net.ipv4.ip_forward', v)} />
      {ifnames.map((f) => (
        <Check key={f} label={<span><b>proxy_arp</b> on <span className="mono">{f}</span></span>} checked={on(`net.ipv4.conf.${f}.proxy_arp`)}
          onChange={(v) => toggle(`net.ipv4.conf.${f}.proxy_arp`, v)} />
      ))}
      {others.map(([k, v]) => (
        <Row key={k}>
          <div className="mono min-w-0 flex-1 truncate pt-1.5 text-[11.5px]" title={k}>{k}</div>
          <TextField width="30%" value={v} errors={errorsAt(`${p}.sysctls.${k}`)} onChange={(x) => set(k, x)} />
          <RemoveButton onClick={() => set(k, undefined)} />
        </Row>
      ))}
      <OtherSysctl onAdd={(k, v) => set(k, v)} errors={Object.keys(s).flatMap((k) => errorsAt(`${p}.sysctls.${k}`))} />
    </Section>
  );
}

function OtherSysctl({ onAdd }: { onAdd(k: string, v: string): void; errors: string[] }) {
  return (
    <form className="flex gap-1.5" onSubmit={(e) => {
      e.preventDefault();
      const f = new FormData(e.currentTarget);
      const k = String(f.get('k') ?? '').trim();
      if (k) { onAdd(k, String(f.get('v') ?? '1').trim() || '1'); e.currentTarget.reset(); }
    }}>
      <input name="k" className="input" placeholder="net.ipv4.conf.all.rp_filter" />
      <input name="v" className="input" style={{ width: 60 }} placeholder="1" />
      <button className="btn" style={{ height: 28 }} type="submit">Add</button>
    </form>
  );
}

function Neighbors({ node, p, errorsAt, patch, ifnames = [] }: SubProps) {
  const list = node.neighbors ?? [];
  const set = (next: NeighborEntry[]) => patch('neighbors', { neighbors: next });
  const upd = (j: number, n: Partial<NeighborEntry>) => set(list.map((x, k) => (k === j ? { ...x, ...n } : x)));
  return (
    <Section title="Static ARP" count={list.length} defaultOpen={list.length > 0}
      action={<AddButton onClick={() => set([...list, { dev: ifnames[0] ?? '', address: '', lladdr: '' }])}>entry</AddButton>}>
      {list.map((n, j) => {
        const at = (f: string) => errorsAt(`${p}.neighbors[${j}].${f}`);
        return (
          <Row key={j}>
            <SelectField label="dev" width="28%" value={n.dev} options={[...new Set(['', ...ifnames, n.dev])]} errors={at('dev')} onChange={(v) => upd(j, { dev: v })} />
            <TextField label="address" value={n.address} placeholder="10.0.0.102" errors={at('address')} onChange={(v) => upd(j, { address: v })} />
            <TextField label="MAC" value={n.lladdr} placeholder="06:96:1e:62:50:e7" errors={at('lladdr')} onChange={(v) => upd(j, { lladdr: v })} />
            <div className="pt-4"><RemoveButton onClick={() => set(list.filter((_, k) => k !== j))} /></div>
          </Row>
        );
      })}
    </Section>
  );
}

function Services({ node, p, errorsAt, patch }: SubProps) {
  const list = node.services ?? [];
  const set = (next: Service[]) => patch('services', { services: next });
  return (
    <Section title="HTTP service" count={list.length} defaultOpen={list.length > 0}
      action={<AddButton onClick={() => set([...list, { kind: 'http', port: list.length ? 8000 + list.length : 80 }])}>service</AddButton>}>
      {list.map((s, j) => (
        <Row key={j}>
          <NumberField label="port" width="30%" value={s.port} errors={errorsAt(`${p}.services[${j}].port`)} onChange={(v) => set(list.map((x, k) => (k === j ? { ...x, port: v ?? NaN } : x)))} />
          <TextField label="answers with" value={s.body} placeholder={node.name} errors={errorsAt(`${p}.services[${j}].body`)}
            onChange={(v) => set(list.map((x, k) => (k === j ? (v ? { ...x, body: v } : { kind: x.kind, port: x.port }) : x)))} />
          <div className="pt-4"><RemoveButton onClick={() => set(list.filter((_, k) => k !== j))} /></div>
        </Row>
      ))}
    </Section>
  );
}
