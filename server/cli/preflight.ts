// What nsplay needs from the machine, checked up front so a missing piece is one clear sentence.
import fs from 'node:fs';

const TOOLS = ['ip', 'iptables', 'iptables-save', 'nsenter', 'unshare', 'ss', 'sysctl', 'busybox'];

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => {
    try {
      fs.accessSync(`${d}/${tool}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** null when nsplay can run here; otherwise the one sentence that says what is missing. */
export function preflight(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'nsplay needs root: it creates network namespaces and veths (run it as root, e.g. with sudo, on a throwaway VM).';
  }
  if (!fs.existsSync('/proc/self/ns/net')) {
    return 'this kernel has no network namespaces (/proc/self/ns/net is missing); nsplay needs a Linux kernel with CONFIG_NET_NS.';
  }
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length) return `missing tools: ${missing.join(', ')} — run 'npm start' once (it installs them) or apt-get install iproute2 iptables util-linux busybox-static.`;
  return null;
}
