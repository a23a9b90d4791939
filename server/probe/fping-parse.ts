// Parser for `fping -C 1 -q` (per-target summary on stderr: "10.0.0.1   : 0.082" or "10.0.0.77  : -"). Pure.

export interface FpingResult { address: string; ok: boolean; rtt_ms?: number }

export function parseFping(text: string): Map<string, FpingResult> {
  const out = new Map<string, FpingResult>();
  for (const line of String(text).split('\n')) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const first = m[2].trim().split(/\s+/)[0];
    const rtt = Number(first);
    out.set(m[1], first !== '-' && Number.isFinite(rtt) ? { address: m[1], ok: true, rtt_ms: rtt } : { address: m[1], ok: false });
  }
  return out;
}

/** fping for one source: one echo per target, 1 ms apart, `timeoutMs` to answer, no retries. */
export function fpingArgv(addresses: string[], timeoutMs: number, src?: string): string[] {
  return ['fping', '-C', '1', '-q', '-t', String(Math.round(timeoutMs)), '-i', '1', '-r', '0', '-B', '1', ...(src ? ['-S', src] : []), '--', ...addresses];
}
