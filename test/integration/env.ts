// Where the integration suite keeps its sessions: its own state directory, so a developer's or the
// server's sessions on the same machine are never touched (and never counted as leaks).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_STATE_DIR = process.env.NSPLAY_TEST_STATE_DIR ?? '/run/nsplay-test';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WRAPPERS = path.join(ROOT, 'test/integration/bin');
