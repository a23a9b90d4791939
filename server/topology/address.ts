// IPv4 addresses and prefixes, strictly: four decimal octets without leading zeros.
// Pure; returns sentences rather than throwing so the schema can attach them to a field path.

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

export function checkIpv4(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4) return `'${short(text)}' is not an IPv4 address (four numbers separated by dots)`;
  for (const p of parts) {
    if (/^0[0-9]+$/.test(p)) return `'${short(text)}' has a leading zero in '${p}'; write it without (ip would read it as octal)`;
    if (!OCTET.test(p)) return `'${short(text)}' is not an IPv4 address (four numbers separated by dots)`;
    if (Number(p) > 255) return `'${short(text)}' has octet ${p}; each must be 0 to 255`;
  }
  return null;
}

/** An address with a prefix length, e.g. 10.0.0.1/24. */
export function checkCidr(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return `'${short(text)}' needs a prefix length, e.g. ${short(text)}/24`;
  const bad = checkIpv4(text.slice(0, slash));
  if (bad) return bad;
  const prefix = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]?)$/.test(prefix)) return `'${short(text)}' has prefix '${prefix}'; it must be a number 0 to 32`;
  if (Number(prefix) > 32) return `'${short(text)}' has prefix /${prefix}; IPv4 allows at most /32`;
  return null;
}

/** An address with or without a prefix (a prefix-less address means /32). */
export function checkAddressOrCidr(text: string): string | null {
  return text.includes('/') ? checkCidr(text) : checkIpv4(text);
}

export function ipv4ToInt(addr: string): number {
  return addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function splitCidr(cidr: string): { address: string; prefix: number } {
  const [address, prefix] = cidr.split('/');
  return { address, prefix: prefix === undefined ? 32 : Number(prefix) };
}

/** The network address of a CIDR: 10.0.0.201/24 → 10.0.0.0/24. */
export function networkOf(cidr: string): string {
  const { address, prefix } = splitCidr(cidr);
  const size = 2 ** (32 - prefix);
  return `${intToIpv4(Math.floor(ipv4ToInt(address) / size) * size)}/${prefix}`;
}

export function cidrContains(cidr: string, addr: string): boolean {
  const { address, prefix } = splitCidr(cidr);
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToInt(address) / size) === Math.floor(ipv4ToInt(addr) / size);
}

/** iptables prints a prefix-less address as /32: normalise the same way. */
export function withPrefix(text: string): string {
  return text.includes('/') ? text : `${text}/32`;
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
