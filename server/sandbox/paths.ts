// Where nsplay keeps session state. One directory shared by the server and the CLI.
import path from 'node:path';

export function stateDir(): string {
  return process.env.NSPLAY_STATE_DIR ?? '/run/nsplay';
}

export function sessionsDir(root = stateDir()): string {
  return path.join(root, 'sessions');
}

export function sessionDir(id: string, root = stateDir()): string {
  return path.join(sessionsDir(root), id);
}

/** Session ids: 's' + 6 hex digits; validated before they reach a path. */
export const SESSION_ID = /^s[0-9a-f]{6}$/;

export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}
