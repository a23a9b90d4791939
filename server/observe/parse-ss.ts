// Parser for `ss -Hltn` (listening TCP sockets, no header, numeric). Pure and tolerant.
//   LISTEN 0      9      *:8080          *:*
//   LISTEN 0      4096   127.0.0.53%lo:53 0.0.0.0:*
//   LISTEN 0      511    [::]:80          [::]:*

/** The local ports with a listener, ascending, each once. */
export function parseListeningPorts(text: string): number[] {
  const ports = new Set<number>();
  for (const line of String(text).split('\n')) {
    // The local address is the first word ending in ":<port>"; the peer ends in ":*".
    for (const word of line.trim().split(/\s+/)) {
      const m = /:(\d{1,5})$/.exec(word);
      if (!m) continue;
      const port = Number(m[1]);
      if (port >= 1 && port <= 65535) ports.add(port);
      break;
    }
  }
  return [...ports].sort((a, b) => a - b);
}
