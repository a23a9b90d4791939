// `nsplay session list`: an aligned table with OWNER and AGE columns.
import { describe, expect, it } from 'vitest';
import { formatAge, formatSessionList } from '../../server/cli/commands/session-list.ts';
import type { SessionInfo } from '../../server/session/types.ts';

const now = 1_700_000_000_000;
const s = (id: string, owner: string, agoS: number, lab?: string): SessionInfo => ({ id, owner, lab, createdAt: now - agoS * 1000, phase: 'ready', nodes: ['host'] });

describe('session list', () => {
  it('ages', () => {
    expect(formatAge(now - 5_000, now)).toBe('5s');
    expect(formatAge(now - 600_000, now)).toBe('10m');
    expect(formatAge(now - 3 * 3600_000, now)).toBe('3h');
    expect(formatAge(now - 3 * 86_400_000, now)).toBe('3d');
    expect(formatAge(now + 5000, now)).toBe('0s');
  });

  it('prints a header and one aligned row per session, oldest first', () => {
    const out = formatSessionList([s('s0000b2', 'cli', 5), s('s0000a1', 'server:4242', 600, '03-bridge')], now);
    expect(out).toBe([
      'ID       PHASE  OWNER        LAB        AGE',
      's0000a1  ready  server:4242  03-bridge  10m',
      's0000b2  ready  cli          -          5s',
      '',
    ].join('\n'));
  });

  it('no sessions; an owner with control characters stays on its row', () => {
    expect(formatSessionList([], now)).toBe('no sessions\n');
    const out = formatSessionList([s('s1', 'evil\nrow\u001b[2J', 1)], now);
    expect(out.split('\n')).toHaveLength(3);
    expect(out).toContain('evil?row?[2J');
  });
});
