// Zod field types for kernel names, addresses and ports, each rejecting with one readable sentence.
import { z } from 'zod';
import { checkAddressOrCidr, checkCidr, checkIpv4 } from './address.ts';
import { checkChainName, checkIfname, checkNodeName, printable } from './names.ts';

const MAX_TEXT = 256;

function checked(check: (s: string) => string | null, description: string) {
  return z
    .string()
    .max(MAX_TEXT, { message: `text longer than ${MAX_TEXT} characters` })
    .superRefine((value, ctx) => {
      const problem = check(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(description);
}

export const Ifname = checked(checkIfname, 'Linux interface name: 1–15 bytes of letters, digits, _ . -');
export const NodeName = checked(checkNodeName, 'node name; also its namespace name under /run/netns');
export const ChainName = checked(checkChainName, 'iptables chain name');
export const Ipv4 = checked(checkIpv4, 'IPv4 address, e.g. 10.0.0.1');
export const Cidr = checked(checkCidr, 'IPv4 address with prefix, e.g. 10.0.0.1/24');
export const AddressOrCidr = checked(checkAddressOrCidr, 'IPv4 address, optionally with a prefix');

/** An address match that may be negated with a leading '!', as iptables writes it: "!10.0.0.0/16". */
export const MaybeNegatedAddress = checked((s) => {
  const body = s.startsWith('!') ? s.slice(1).trimStart() : s;
  return checkAddressOrCidr(body);
}, "IPv4 address or prefix, '!' in front to negate");

export const Port = z
  .number({ message: 'a port must be a number' })
  .int({ message: 'a port must be a whole number' })
  .min(1, { message: 'ports run from 1 to 65535' })
  .max(65535, { message: 'ports run from 1 to 65535' });

export const MacAddress = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, { message: 'a MAC address is six lowercase hex pairs, e.g. 06:96:1e:62:50:e7' });

/** "10.0.0.101:8080" or "10.0.0.101" — a DNAT destination. */
export const AddressPort = checked((s) => {
  const m = /^([^:]+)(?::([0-9]{1,5}))?$/.exec(s);
  if (!m) return `'${printable(s)}' must be ADDRESS or ADDRESS:PORT`;
  const bad = checkIpv4(m[1]);
  if (bad) return bad;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535 || m[2].startsWith('0'))) {
    return `'${s}' has port ${m[2]}; ports run from 1 to 65535`;
  }
  return null;
}, 'ADDRESS or ADDRESS:PORT');

export const SysctlKey = z
  .string()
  .max(MAX_TEXT)
  .regex(/^net\.(ipv4|ipv6|core|netfilter|bridge)(\.[A-Za-z0-9_-]+)+$/, {
    message: "a sysctl here is a network one, like 'net.ipv4.ip_forward' or 'net.ipv4.conf.veth0.proxy_arp'",
  });

export const SysctlValue = z
  .union([z.number().int().min(0).max(2147483647), z.string().regex(/^[0-9]{1,10}( [0-9]{1,10}){0,3}$/)], {
    message: "a sysctl value is a number (or numbers separated by single spaces, e.g. '0 2147483647')",
  })
  .transform((v) => String(v));
