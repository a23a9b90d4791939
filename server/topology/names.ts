// Kernel name rules. Each check returns null when the name is fine, or one sentence saying why not.
// Pure: shared by the server, the CLI and the browser.

const IFNAME_MAX_BYTES = 15;
const NODE_NAME_MAX = 64;
const NAME_CHARS = /^[A-Za-z0-9_.-]+$/;

// Words `ip` reads as keywords or the kernel treats specially where a name stands.
const RESERVED = new Set(['.', '..', 'all', 'default', 'help']);
const IP_KEYWORDS = new Set(['dev', 'name', 'type', 'peer', 'netns', 'master', 'nomaster', 'up', 'down', 'link', 'address', 'mtu', 'index']);

export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

function describeBadChars(kind: string, name: string): string | null {
  if (name.length === 0) return `${kind} name is empty`;
  if (/\s/.test(name)) return `${kind} name '${printable(name)}' contains whitespace; Linux names cannot`;
  if (name.includes('/')) return `${kind} name '${printable(name)}' contains '/'; it would be a path, not a name`;
  if (!NAME_CHARS.test(name)) {
    return `${kind} name '${printable(name)}' may only use letters, digits, '_', '.' and '-'`;
  }
  if (name.startsWith('-')) return `${kind} name '${printable(name)}' starts with '-'; a command would read it as an option`;
  if (RESERVED.has(name)) return `${kind} name '${name}' is reserved by the kernel or ip`;
  return null;
}

/** Interface names: at most 15 bytes of [A-Za-z0-9_.-], not '.', '..', 'all', 'default', 'help' or an ip keyword. */
export function checkIfname(name: string): string | null {
  const bytes = byteLength(name);
  if (bytes > IFNAME_MAX_BYTES && NAME_CHARS.test(name)) {
    return `interface name '${printable(name)}' is ${bytes} bytes; Linux allows ${IFNAME_MAX_BYTES}`;
  }
  const bad = describeBadChars('interface', name);
  if (bad) return bad;
  if (bytes > IFNAME_MAX_BYTES) return `interface name '${printable(name)}' is ${bytes} bytes; Linux allows ${IFNAME_MAX_BYTES}`;
  if (IP_KEYWORDS.has(name)) return `interface name '${name}' is a word ip reads as a keyword; choose another`;
  return null;
}

/** Node names double as namespace file names under /run/netns and container names. */
export function checkNodeName(name: string): string | null {
  const bad = describeBadChars('node', name);
  if (bad) return bad;
  if (name.startsWith('.')) return `node name '${printable(name)}' starts with '.'; it would be a hidden file under /run/netns`;
  if (name.length > NODE_NAME_MAX) return `node name '${name.slice(0, 20)}…' is ${name.length} characters; at most ${NODE_NAME_MAX}`;
  return null;
}

/** iptables chain names (user chains): letters, digits, '_' and '-', at most 28 characters. */
export function checkChainName(name: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    return `chain name '${printable(name)}' must start with a letter and use only letters, digits, '_' and '-'`;
  }
  if (name.length > 28) return `chain name '${printable(name)}' is ${name.length} characters; iptables allows 28`;
  return null;
}

/** Shows control characters visibly so an error about them can be read. */
export function printable(s: string): string {
  const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
