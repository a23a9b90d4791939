// FROM and TO as a user types them: validated before anything runs, one sentence when wrong.
import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseSource, parseTarget } from '../../server/probe/target.ts';

describe('parseTarget', () => {
  it.each([
    ['netns2', { kind: 'node', node: 'netns2' }],
    ['10.0.0.1', { kind: 'address', address: '10.0.0.1' }],
    ['10.0.0.1:80', { kind: 'address', address: '10.0.0.1', port: 80 }],
    ['netns1:8080', { kind: 'node', node: 'netns1', port: 8080 }],
    ['my-ns_2.a', { kind: 'node', node: 'my-ns_2.a' }],
  ])('reads %s', (text, value) => {
    expect(parseTarget(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['', /empty/],
    ['10.0.0.256', /octet 256/],
    ['10.0.0.1:0', /ports run from 1 to 65535/],
    ['10.0.0.1:65536', /ports run from 1 to 65535/],
    ['10.0.0.1:08', /ports run/],
    ['netns1:-x', /ports run/],
    ['-rf', /starts with '-'/],
    ['a b', /whitespace/],
    ['../etc', /neither an IPv4 address nor a node name/],
    ['x'.repeat(101), /longer than 100/],
    ['10.0.0.1;reboot', /neither/],
  ])('rejects %j', (text, message) => {
    const r = parseTarget(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe('parseSource', () => {
  it('takes a node or an address, never a port', () => {
    expect(parseSource('host')).toEqual({ ok: true, value: { kind: 'node', node: 'host' } });
    expect(parseSource('10.0.0.101')).toEqual({ ok: true, value: { kind: 'address', address: '10.0.0.101' } });
    expect(parseSource('netns1:80')).toMatchObject({ ok: false });
    expect(parseSource('--help')).toMatchObject({ ok: false });
  });

  it('writes endpoints back as typed', () => {
    expect(formatEndpoint({ kind: 'address', address: '1.1.1.1', port: 80 })).toBe('1.1.1.1:80');
    expect(formatEndpoint({ kind: 'node', node: 'netns1' })).toBe('netns1');
  });
});
