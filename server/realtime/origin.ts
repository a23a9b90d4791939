// Who may open a socket, by the browser's own headers (pure; app.ts applies it to every handshake).
//
// A browser lets any page it shows open a websocket to 127.0.0.1, so the Origin header is the only
// thing that tells nsplay's own page from another site's (cross-site websocket hijacking). On a
// loopback server without tokens, the Host header must also be a loopback name: a site whose DNS name
// is rebound to 127.0.0.1 would otherwise be "same origin" with itself. Clients that are not browsers
// (the CLI, tests) send no Origin and are judged by the token alone.
import { isIPv4 } from 'node:net';

const isLoopbackName = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || (isIPv4(hostname) && hostname.startsWith('127.'));

function hostnameOf(host: string): string | undefined {
  try { return new URL(`http://${host}`).hostname; } catch { return undefined; }
}

/** Why a handshake must be refused, or undefined when it may go on. */
export function foreignRequest(origin: string | undefined, host: string | undefined, loopbackOnly: boolean): string | undefined {
  if (loopbackOnly && host !== undefined) {
    const name = hostnameOf(host);
    if (name === undefined || !isLoopbackName(name)) {
      return `host ${JSON.stringify(host)} is not a loopback address: this nsplay listens on loopback only (open it as http://127.0.0.1:PORT/)`;
    }
  }
  if (origin === undefined) return undefined;
  let originHost: string | undefined;
  try { originHost = new URL(origin).host; } catch { originHost = undefined; }
  if (originHost === undefined || originHost === '' || originHost !== host) return `origin ${origin} is not this server`;
  return undefined;
}
