// Where the integration suite keeps its sessions: a state directory of its own per run (handed to the
// test files by the global setup), so a developer's or another run's sessions are never touched.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext { nsplayStateDir: string }
}

export const TEST_STATE_DIR = inject('nsplayStateDir');
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WRAPPERS = path.join(ROOT, 'test/integration/bin');
