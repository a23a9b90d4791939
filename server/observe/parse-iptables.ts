// Parser for `iptables-save` output. Pure and tolerant: unknown lines are skipped, never thrown on.
// A rule's spec is its tokens after `-A CHAIN`, unquoted shell-style and joined by single spaces —
// the same tokens `ruleSpec` emits — so `canonicalSpec` can compare the two.
import type { ObservedIptables } from './types.ts';

/**
 * Split a line into words the way a shell would: whitespace separates, "…" and '…' group, and
 * inside double quotes a backslash escapes the next character (iptables-save writes
 * `--comment "name: \"devops\""`). An unterminated quote runs to the end of the line.
 */
export function tokenizeShell(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === ' ' || c === '\t') {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < line.length) word += line[++i];
      else word += c;
    }
  }
  if (inWord) out.push(word);
  return out;
}

export function parseIptablesSave(text: string): ObservedIptables {
  const result: ObservedIptables = { chains: {}, rules: {} };
  let table: string | undefined;
  for (const rawLine of String(text).split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1).trim() || undefined;
      if (table !== undefined) {
        result.chains[table] ??= {};
        result.rules[table] ??= [];
      }
      continue;
    }
    if (line === 'COMMIT') {
      table = undefined;
      continue;
    }
    if (table === undefined) continue;
    if (line.startsWith(':')) {
      // ":FORWARD DROP [0:0]" — built-in chains carry a policy, user chains "-".
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name && policy) result.chains[table][name] = policy;
      continue;
    }
    const tokens = tokenizeShell(line);
    if (tokens[0] === '-A' && tokens.length >= 2) {
      result.rules[table].push({ chain: tokens[1], spec: tokens.slice(2).join(' ') });
    }
  }
  return result;
}
