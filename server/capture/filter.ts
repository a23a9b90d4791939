// Validation of what a user gives a capture: the interface and the BPF filter. Pure. The filter is
// always passed to tcpdump after `--`; tcpdump's own compiler has the last word on its syntax.
import { checkIfname, printable } from '../topology/names.ts';

const MAX_FILTER = 512;
// BPF expressions: words, numbers, addresses, MACs, prefixes, operators, brackets (tcp[13] & 2 != 0).
const FILTER_CHARS = /^[A-Za-z0-9 .:/()!&|<>=[\]+*_,-]*$/;

/** null when fine, else one sentence. An empty filter means "everything". */
export function checkFilter(filter: string): string | null {
  if (typeof filter !== 'string') return 'a capture filter must be text';
  if (filter.length > MAX_FILTER) return `the capture filter is ${filter.length} characters; at most ${MAX_FILTER}`;
  const trimmed = filter.trim();
  if (trimmed.startsWith('-')) return `the capture filter '${printable(trimmed)}' starts with '-'; a filter is an expression like 'icmp or port 80', not an option`;
  if (!FILTER_CHARS.test(filter)) {
    const bad = [...filter].find((c) => !FILTER_CHARS.test(c)) ?? '';
    return `the capture filter contains '${printable(bad)}', which BPF filters do not use (letters, digits, spaces and . : / ( ) ! & | < > = [ ] + * _ , - only)`;
  }
  return null;
}

/** Interfaces: a Linux name, or "any" for every interface of the node. */
export function checkCaptureIface(iface: string): string | null {
  if (iface === 'any') return null;
  return checkIfname(iface);
}
