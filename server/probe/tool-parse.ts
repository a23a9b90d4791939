// What the kernel said to a real ping or curl, read from their output. Pure.

export type IcmpError = 'net-unreachable' | 'host-unreachable' | 'port-unreachable' | 'filtered' | 'other';

export type KernelOutcome =
  | { kind: 'ok'; rtt_ms?: number; http?: { status: number; bytes: number } }
  /** The source could not send at all: "connect: Network is unreachable" / "sendmsg: Operation not permitted". */
  | { kind: 'unreachable'; message: string }
  | { kind: 'not-permitted'; message: string }
  /** TCP reset or ICMP port unreachable: "Connection refused". */
  | { kind: 'refused'; message: string }
  /** A router (or the source itself) answered with an ICMP error. */
  | { kind: 'icmp-error'; from: string; error: IcmpError; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'error'; message: string };

interface ToolOutput { code: number; stdout: string; stderr: string }

const ICMP_ERRORS: [RegExp, IcmpError][] = [
  [/Destination Net Unreachable/i, 'net-unreachable'],
  [/Destination Host Unreachable/i, 'host-unreachable'],
  [/Destination Port Unreachable/i, 'port-unreachable'],
  [/Packet filtered|Destination (Net|Host) Prohibited|Communication prohibited/i, 'filtered'],
];

/** `ping -n -c 1 -W S [-I SRC] DST` (iputils). */
export function parsePing(r: ToolOutput): KernelOutcome {
  const text = `${r.stdout}\n${r.stderr}`;
  const reply = /bytes from [^:]+: icmp_seq=\d+ ttl=\d+ time=([\d.]+) ms/.exec(text);
  if (reply) return { kind: 'ok', rtt_ms: Number(reply[1]) };
  if (/Network is unreachable/.test(r.stderr)) return { kind: 'unreachable', message: lineWith(r.stderr, 'unreachable') };
  if (/Operation not permitted/.test(r.stderr)) return { kind: 'not-permitted', message: lineWith(r.stderr, 'not permitted') };
  const from = /From (\d{1,3}(?:\.\d{1,3}){3})(?: \(\S+\))?:? icmp_seq=\d+ (.*)/.exec(text);
  if (from) {
    const error = ICMP_ERRORS.find(([re]) => re.test(from[2]))?.[1] ?? 'other';
    return { kind: 'icmp-error', from: from[1], error, message: from[0].trim() };
  }
  if (/(\d+) packets transmitted, 0 received/.test(text) || r.code === 124) return { kind: 'timeout', message: 'no echo reply' };
  return { kind: 'error', message: (r.stderr || r.stdout).trim().split('\n')[0] ?? `ping exited ${r.code}` };
}

function lineWith(text: string, word: string): string {
  return text.split('\n').find((l) => l.includes(word))?.trim() ?? text.trim();
}

export const CURL_WRITE_OUT = '\n@@nsplay %{http_code} %{time_connect} %{size_download}\n';

/** `curl -sS -v -o /dev/null -w CURL_WRITE_OUT --connect-timeout S -m S http://ADDR:PORT/`. */
export function parseCurl(r: ToolOutput): KernelOutcome {
  const w = /@@nsplay (\d{3}) ([\d.]+) (\d+)/.exec(r.stdout);
  const status = w ? Number(w[1]) : 0;
  const connectS = w ? Number(w[2]) : 0;
  const failed = /connect to \S+ port \d+ failed: (.*)$/m.exec(r.stderr)?.[1]?.trim()
    ?? /Immediate connect fail for \S+: (.*)$/m.exec(r.stderr)?.[1]?.trim();
  if (status > 0) return { kind: 'ok', rtt_ms: round(connectS * 1000), http: { status, bytes: Number(w![3]) } };
  if (connectS > 0) return { kind: 'ok', rtt_ms: round(connectS * 1000) }; // TCP connected; not HTTP
  if (failed && /Connection refused/i.test(failed)) return { kind: 'refused', message: failed };
  if (failed && /Network is unreachable/i.test(failed)) return { kind: 'unreachable', message: failed };
  if (failed && /Operation not permitted/i.test(failed)) return { kind: 'not-permitted', message: failed };
  if (failed && /No route to host/i.test(failed)) return { kind: 'icmp-error', from: '', error: 'host-unreachable', message: failed };
  if (r.code === 28 || /timed out|Timeout/i.test(r.stderr)) return { kind: 'timeout', message: 'no answer to the SYN' };
  return { kind: 'error', message: failed ?? (r.stderr.trim().split('\n').pop() || `curl exited ${r.code}`) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
