// docker-compose.yml: valid (as Debian's docker-compose v1 reads it), privileged, and NOT the host's network.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

describe('docker-compose.yml', () => {
  it('validates with docker-compose config -q', () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { encoding: 'utf8' });
    expect(r.error, 'docker-compose is installed by scripts/setup.sh').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs privileged in its own network namespace, serving beyond loopback with tokens', () => {
    const doc = parse(fs.readFileSync('docker-compose.yml', 'utf8'));
    const svc = doc.services.nsplay;
    expect(svc.privileged).toBe(true);
    expect(svc.network_mode).toBeUndefined();
    expect(svc.command.join(' ')).toContain('--host 0.0.0.0');
  });
});
