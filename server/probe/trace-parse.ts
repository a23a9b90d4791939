// Parser for `xtables-monitor --trace` output: the packets netfilter TRACE marked, with the chains each
// passed and the verdict. Pure and tolerant: lines it does not know are skipped.
//   PACKET: 2 ea488b65 IN=br0 OUT=enp0s3 MACSRC=… SRC=10.0.0.101 DST=1.1.1.1 LEN=84 TOS=0x0 TTL=63 ID=45684 DF
//    TRACE: 2 ea488b65 raw:PREROUTING:rule:0x2:CONTINUE  -4 -t raw -A PREROUTING -p icmp … -j TRACE
//    TRACE: 2 5925fa5f filter:FORWARD:policy:DROP
//    TRACE: 2 5925fa5f filter:FORWARD:rule:0x3:DROP  -4 -t filter -A FORWARD -d 1.1.1.1/32 -j DROP

export interface TraceStep {
  table: string;
  chain: string;
  kind: 'rule' | 'policy' | 'return';
  /** ACCEPT, DROP, CONTINUE, RETURN, JUMP, … as printed (upper case). */
  verdict: string;
  /** The rule in iptables syntax, without the "-4 -t TABLE" prefix: "-A FORWARD -d 1.1.1.1/32 -j DROP". */
  rule?: string;
}

/** One packet at one netfilter hook of one namespace. */
export interface TracedPacket {
  traceId: string;
  in?: string;
  out?: string;
  src?: string;
  dst?: string;
  /** IP identification: the same packet keeps it from hook to hook and namespace to namespace. */
  ipId?: number;
  sport?: number;
  dport?: number;
  /** TCP flags printed at the end (SYN, ACK, RST, FIN, PSH). */
  flags: string[];
  steps: TraceStep[];
}

export interface PacketVerdict {
  /** Hook of the packet's first traced chain: PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING. */
  hook: string;
  dropped: boolean;
  /** The step that dropped (or rejected) it. */
  by?: TraceStep;
}

const FIELD = /^([A-Z]+)=(.*)$/;
const TCP_FLAGS = new Set(['SYN', 'ACK', 'RST', 'FIN', 'PSH', 'URG']);

function parsePacketLine(rest: string[]): TracedPacket {
  const p: TracedPacket = { traceId: rest[1] ?? '', flags: [], steps: [] };
  for (const word of rest.slice(2)) {
    if (TCP_FLAGS.has(word)) { p.flags.push(word); continue; }
    const m = FIELD.exec(word);
    if (!m) continue;
    const [, k, v] = m;
    if (k === 'IN' && v) p.in = v;
    else if (k === 'OUT' && v) p.out = v;
    else if (k === 'SRC') p.src = v;
    else if (k === 'DST') p.dst = v;
    else if (k === 'ID') p.ipId = Number(v);
    else if (k === 'SPORT') p.sport = Number(v);
    else if (k === 'DPORT') p.dport = Number(v);
  }
  return p;
}

function parseTraceLine(line: string): { traceId: string; step: TraceStep } | null {
  // " TRACE: 2 5925fa5f filter:FORWARD:rule:0x3:DROP  -4 -t filter -A FORWARD -d 1.1.1.1/32 -j DROP"
  // "…:rule:0x7:JUMP:MYCH  -4 -t filter -A FORWARD -j MYCH" names the chain jumped to after the verdict.
  const m = /^\s*TRACE:\s+\S+\s+(\S+)\s+([^:\s]+):([^:\s]+):(rule|policy|return)(?::(0x[0-9a-f]+))?:?([A-Z]*)(?::(\S+))?\s*(.*)$/.exec(line);
  if (!m) return null;
  const [, traceId, table, chain, kind, , verdict, , text] = m;
  const ruleText = text.trim().replace(/^-4\s+/, '').replace(/^-t\s+\S+\s+/, '');
  // nf_tables reports a REJECT as a DROP verdict; the rule text says which it was.
  const rejected = verdict === 'DROP' && /-j REJECT\b/.test(ruleText);
  const step: TraceStep = { table, chain, kind: kind as TraceStep['kind'], verdict: rejected ? 'REJECT' : verdict || (kind === 'return' ? 'RETURN' : '') };
  if (kind === 'rule' && ruleText) step.rule = ruleText;
  return { traceId, step };
}

/** Every traced packet, in the order printed. TRACE lines attach to the PACKET line above them. */
export function parseXtablesTrace(text: string): TracedPacket[] {
  const out: TracedPacket[] = [];
  for (const line of String(text).split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('PACKET:')) {
      out.push(parsePacketLine(trimmed.split(/\s+/).slice(1)));
      continue;
    }
    if (!trimmed.startsWith('TRACE:')) continue;
    const t = parseTraceLine(line);
    if (!t) continue;
    const last = out[out.length - 1];
    if (last && last.traceId === t.traceId) last.steps.push(t.step);
    else out.push({ traceId: t.traceId, flags: [], steps: [t.step] });
  }
  return out;
}

const HOOKS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** Which hook a traced packet was at, and whether a DROP/REJECT ended it there. */
export function verdictOf(p: TracedPacket): PacketVerdict {
  const hook = p.steps.find((s) => HOOKS.has(s.chain))?.chain ?? p.steps[0]?.chain ?? '';
  const by = p.steps.find((s) => s.verdict === 'DROP' || s.verdict === 'REJECT');
  return by ? { hook, dropped: true, by } : { hook, dropped: false };
}

/** True when the packet was marked by one of this probe's TRACE rules (its comment names the probe). */
export function tracedBy(p: TracedPacket, tag: string): boolean {
  return p.steps.some((s) => s.rule?.includes(tag) === true);
}
