// Parser for `tcpdump -nn -tt [-e]` lines (one packet per line) into a summary a learner can read:
// time, interface, src → dst, protocol, info. Pure and tolerant: a line it cannot read becomes a
// summary with proto "?" and the text as info — never a throw.
//   1764290000.123456 IP 10.0.0.101 > 10.0.0.102: ICMP echo request, id 7, seq 1, length 64
//   1764290000.123456 7a:21:…:6d > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.102 tell 10.0.0.101, length 28
//   1764290000.123456 veth0 Out IP 10.0.0.101.40000 > 1.1.1.1.80: Flags [S], seq 1, win 64240, length 0     (-i any)

export interface PacketSummary {
  /** Seconds since the epoch, microseconds in the fraction (from -tt). */
  t: number;
  iface: string;
  /** In / Out / … when tcpdump says (captures on "any"). */
  dir?: string;
  /** Address, address:port for TCP/UDP, or a MAC for non-IP frames. */
  src: string;
  dst: string;
  /** ARP, ICMP, TCP, UDP, IP (other IPv4), IPv6, or the ethertype tcpdump names. */
  proto: string;
  info: string;
  srcMac?: string;
  dstMac?: string;
  /** Frame length when -e prints it. */
  length?: number;
}

const MAC = '[0-9a-f]{2}(?::[0-9a-f]{2}){5}';
const TIME = /^(\d{9,11}\.\d{1,9})\s+(.*)$/;
const ANY_PREFIX = /^([A-Za-z0-9_.@-]{1,32})\s+(In|Out|B|M|P|H|U)\s+(.*)$/;
const ETHER = new RegExp(`^(?:ifindex \\d+ )?(${MAC}) > (${MAC}|Broadcast), ethertype (\\S+) \\(0x[0-9a-f]{4}\\), length (\\d+): (.*)$`);
const ETHER_ANY = new RegExp(`^(?:ifindex \\d+ )?(${MAC}) ethertype (\\S+) \\(0x[0-9a-f]{4}\\), length (\\d+): (.*)$`);
const IPV4_PORT = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\.(\d{1,5}))?$/;

function endpoint(text: string): { addr: string; port?: string } {
  const m = IPV4_PORT.exec(text);
  if (m) return m[2] !== undefined ? { addr: m[1], port: m[2] } : { addr: m[1] };
  // IPv6 with a port: "fe80::1.546"
  const dot = text.lastIndexOf('.');
  if (text.includes(':') && dot > 0 && /^\d+$/.test(text.slice(dot + 1))) return { addr: text.slice(0, dot), port: text.slice(dot + 1) };
  return { addr: text };
}

const join = (e: { addr: string; port?: string }, v6: boolean) => (e.port === undefined ? e.addr : v6 ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

/** "10.0.0.1 > 10.0.0.2: ICMP echo request, …" (the IP part, after "IP " or the ether header). */
function parseIp(body: string, v6: boolean): Pick<PacketSummary, 'src' | 'dst' | 'proto' | 'info'> | null {
  const m = /^(\S+) > (\S+?):(?: (.*))?$/.exec(body);
  if (!m) return null;
  const a = endpoint(m[1]);
  const b = endpoint(m[2]);
  let rest = m[3] ?? '';
  let proto = v6 ? 'IPv6' : 'IP';
  if (/^ICMP6?\b/.test(rest)) {
    proto = rest.startsWith('ICMP6') ? 'ICMPv6' : 'ICMP';
    rest = rest.replace(/^ICMP6?,?\s*/, '');
  } else if (rest.startsWith('Flags [')) {
    proto = 'TCP';
  } else if (/^UDP\b/.test(rest)) {
    proto = 'UDP';
    rest = rest.replace(/^UDP,?\s*/, '');
  } else if (a.port !== undefined && b.port !== undefined) {
    proto = 'UDP'; // decoded application protocols over UDP (DNS …)
  }
  return { src: join(a, v6), dst: join(b, v6), proto, info: rest.replace(/, options \[[^\]]*\]/, '').trim() };
}

function parseArp(body: string): Pick<PacketSummary, 'src' | 'dst' | 'proto' | 'info'> {
  const info = body.replace(/^ARP,\s*/, '').replace(/, length \d+$/, '').trim();
  const req = /^Request who-has (\S+)(?: \(\S+\))? tell (\S+)/.exec(info);
  if (req) return { src: req[2], dst: req[1], proto: 'ARP', info };
  const rep = /^Reply (\S+) is-at (\S+)/.exec(info);
  if (rep) return { src: rep[1], dst: '', proto: 'ARP', info };
  return { src: '', dst: '', proto: 'ARP', info };
}

function parseBody(body: string): Pick<PacketSummary, 'src' | 'dst' | 'proto' | 'info'> | null {
  if (body.startsWith('ARP,')) return parseArp(body);
  if (body.startsWith('IP ')) return parseIp(body.slice(3), false);
  if (body.startsWith('IP6 ')) return parseIp(body.slice(4), true);
  return null;
}

/** One tcpdump line → a summary; `iface` is the interface captured on (used unless the line names one). */
export function parseTcpdumpLine(line: string, iface: string): PacketSummary | null {
  const tm = TIME.exec(line.trim());
  if (!tm) return null;
  const t = Number(tm[1]);
  let rest = tm[2];
  let dir: string | undefined;
  const any = ANY_PREFIX.exec(rest);
  if (any && !new RegExp(`^${MAC}`).test(rest) && !/^(IP|IP6|ARP)$/.test(any[1])) {
    iface = any[1];
    dir = any[2];
    rest = any[3];
  }
  const out: PacketSummary = { t, iface, src: '', dst: '', proto: '?', info: rest };
  if (dir) out.dir = dir;
  const eth = ETHER.exec(rest);
  const ethAny = eth ? null : ETHER_ANY.exec(rest);
  if (eth || ethAny) {
    const srcMac = eth ? eth[1] : ethAny![1];
    const ethertype = eth ? eth[3] : ethAny![2];
    const body = eth ? eth[5] : ethAny![4];
    out.srcMac = srcMac;
    if (eth) out.dstMac = eth[2] === 'Broadcast' ? 'ff:ff:ff:ff:ff:ff' : eth[2];
    out.length = Number(eth ? eth[4] : ethAny![3]);
    const parsed = ethertype === 'ARP' ? parseArp(`ARP, ${body}`) : ethertype === 'IPv4' ? parseIp(body, false) : ethertype === 'IPv6' ? parseIp(body, true) : null;
    if (parsed) return { ...out, ...parsed };
    return { ...out, src: srcMac, dst: out.dstMac ?? '', proto: ethertype, info: body };
  }
  const parsed = parseBody(rest);
  return parsed ? { ...out, ...parsed } : out;
}

/** "12:00:00.123456 veth0 10.0.0.1 > 10.0.0.2 ICMP echo request, …": a summary as one line of text. */
export function formatSummary(p: PacketSummary): string {
  const d = new Date(p.t * 1000);
  const us = String(Math.round((p.t % 1) * 1e6)).padStart(6, '0');
  const time = `${d.toISOString().slice(11, 19)}.${us}`;
  const arrow = p.dst ? `${p.src} > ${p.dst}` : p.src;
  return `${time} ${p.iface}${p.dir ? ` ${p.dir}` : ''} ${p.proto} ${arrow}${p.info ? `: ${p.info}` : ''}`.replace(/\s+/g, ' ').trim();
}
