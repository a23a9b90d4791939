// Checks that send packets: a ping or a TCP connect (reach), HTTP requests (http) — from inside a node.
// (server/probe, the route walk and netfilter trace, explains *why*; these only say *whether*. When its
// reachability API settles, reach can ask it instead and keep this shape.)
import type { CheckContext } from './context.ts';
import { fail, pass, type CheckOutcome } from './result.ts';
import type { FAIL_REASONS, HttpSpec, ReachSpec } from './schema.ts';

export type ReachResult = 'ok' | (typeof FAIL_REASONS)[number];

/** iputils ping: exit 0 on a reply; "connect: Network is unreachable" when no route; ICMP errors printed as "From …". */
export function classifyPing(code: number, stdout: string, stderr: string): ReachResult {
  if (code === 0) return 'ok';
  if (/Network is unreachable/i.test(stderr + stdout)) return 'no-route';
  if (/Unreachable|Prohibited|Time to live exceeded/i.test(stdout)) return 'unreachable';
  return 'no-reply';
}

/** bash's /dev/tcp connect under `timeout 2`. */
export function classifyConnect(code: number, stderr: string): ReachResult {
  if (code === 0) return 'ok';
  if (/Connection refused/i.test(stderr)) return 'refused';
  if (/Network is unreachable/i.test(stderr)) return 'no-route';
  if (/No route to host|Host is unreachable/i.test(stderr)) return 'unreachable';
  return 'no-reply';
}

const REASON_TEXT: Record<ReachResult, string> = {
  ok: 'it answered',
  'no-route': 'Network is unreachable (no route)',
  'no-reply': 'no reply',
  unreachable: 'an ICMP error came back (host unreachable)',
  refused: 'connection refused',
};

export async function checkReach(c: CheckContext, s: ReachSpec): Promise<CheckOutcome> {
  const [ip, port] = s.to.split(':');
  const r = port === undefined
    ? await c.runIn(s.from, ['ping', '-c', '1', '-W', '1', '-n', ip], 5_000)
    : await c.runIn(s.from, ['timeout', '2', 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', ip, port], 5_000);
  const got = port === undefined ? classifyPing(r.code, r.stdout, r.stderr) : classifyConnect(r.code, r.stderr);
  if (s.expect === 'ok') return got === 'ok' ? pass() : fail(`${s.from} → ${s.to}: ${REASON_TEXT[got]}`);
  if (got === 'ok') return fail(`${s.from} → ${s.to} works; it should not`);
  if (s.reason !== undefined && got !== s.reason) return fail(`${s.from} → ${s.to} fails, but with ${REASON_TEXT[got]}, not ${REASON_TEXT[s.reason]}`);
  return pass(REASON_TEXT[got]);
}

// One shell for all the requests: the count, the URL and the outcome that ends the loop early (a
// failure when every request must succeed, a success when every one must fail) are arguments, never
// part of the script.
const HTTP_LOOP = 'i=0; while [ "$i" -lt "$0" ]; do curl -sS --connect-timeout 1 -m 2 -w "\\n@@nsplay %{http_code}\\n" -- "$1"; rc=$?;'
  + ' echo "@@nsplay-rc $rc"; if [ "$2" = stop-on-failure ] && [ "$rc" -ne 0 ]; then break; fi;'
  + ' if [ "$2" = stop-on-success ] && [ "$rc" -eq 0 ]; then break; fi; i=$((i+1)); done';

export interface HttpAnswer { ok: boolean; body: string; error: string }

/** Splits the loop's output into one answer per request. */
export function parseHttpLoop(stdout: string): HttpAnswer[] {
  const out: HttpAnswer[] = [];
  let body = '';
  let status = '';
  for (const line of stdout.split('\n')) {
    const st = /^@@nsplay (\d{3})$/.exec(line);
    if (st) { status = st[1]; continue; }
    const rc = /^@@nsplay-rc (\d+)$/.exec(line);
    if (rc) {
      const good = rc[1] === '0' && /^[23]/.test(status);
      out.push({ ok: good, body: body.trim(), error: good ? '' : rc[1] !== '0' ? `curl exit ${rc[1]}` : `HTTP ${status}` });
      body = '';
      status = '';
      continue;
    }
    body += `${line}\n`;
  }
  return out;
}

export async function checkHttp(c: CheckContext, s: HttpSpec): Promise<CheckOutcome> {
  const stop = s.expect === 'ok' ? 'stop-on-failure' : 'stop-on-success';
  const r = await c.runIn(s.from, ['sh', '-c', HTTP_LOOP, String(s.repeat), s.url, stop], 5_000 + s.repeat * 2_500);
  const answers = parseHttpLoop(r.stdout);
  if (answers.length === 0) return fail(`${s.from} could not run curl: ${r.stderr.trim() || 'no output'}`);
  const good = answers.filter((a) => a.ok);
  if (s.expect === 'fail') {
    return good.length === 0 ? pass(r.stderr.trim().split('\n')[0] || answers[0].error || 'no answer') : fail(`${s.url} answered ${s.from}: "${good[0].body.slice(0, 80)}"`);
  }
  if (good.length < s.repeat) {
    const errors = [...new Set(r.stderr.split('\n').map((l) => l.trim()).filter(Boolean))].slice(0, 2).join('; ');
    const where = s.repeat > 1 ? `request ${answers.length} of ${s.repeat}` : 'the request';
    return fail(`${where} from ${s.from} to ${s.url} failed${errors ? `: ${errors}` : ''}`);
  }
  if (s.contains !== undefined) {
    const wrong = good.find((a) => !a.body.includes(s.contains!));
    if (wrong) return fail(`an answer from ${s.url} does not contain "${s.contains}": "${wrong.body.slice(0, 80)}"`);
  }
  const bodies = [...new Set(good.map((a) => a.body))].sort();
  if (s.distinct !== undefined && bodies.length < s.distinct) {
    return fail(`${s.repeat} answers came from only ${bodies.length} server(s): ${bodies.map((b) => b.slice(0, 40)).join(', ')}`);
  }
  return pass(bodies.length > 1 ? `${bodies.length} different answers: ${bodies.map((b) => `${b.slice(0, 40)} ×${good.filter((a) => a.body === b).length}`).join(', ')}` : `"${bodies[0].slice(0, 80)}"`);
}
