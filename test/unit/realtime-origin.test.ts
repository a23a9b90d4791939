import { describe, expect, it } from 'vitest';
import { foreignRequest } from '../../server/realtime/origin.ts';

describe('foreignRequest', () => {
  it('lets nsplay\'s own page and non-browser clients in', () => {
    expect(foreignRequest('http://127.0.0.1:3000', '127.0.0.1:3000', true)).toBeUndefined();
    expect(foreignRequest('http://localhost:3000', 'localhost:3000', true)).toBeUndefined();
    expect(foreignRequest('http://[::1]:3000', '[::1]:3000', true)).toBeUndefined();
    expect(foreignRequest(undefined, '127.0.0.1:3000', true)).toBeUndefined();
    expect(foreignRequest(undefined, undefined, true)).toBeUndefined();
    expect(foreignRequest('http://10.0.0.5:3000', '10.0.0.5:3000', false)).toBeUndefined();
  });

  it('refuses a page of another site (cross-site websocket hijacking)', () => {
    expect(foreignRequest('http://evil.example', '127.0.0.1:3000', true)).toMatch(/origin http:\/\/evil.example is not this server/);
    expect(foreignRequest('http://127.0.0.1:8080', '127.0.0.1:3000', true)).toMatch(/not this server/);
    expect(foreignRequest('null', '127.0.0.1:3000', true)).toMatch(/origin null is not this server/);
    expect(foreignRequest('file://', '127.0.0.1:3000', true)).toMatch(/not this server/);
    expect(foreignRequest('http://evil.example', '10.0.0.5:3000', false)).toMatch(/not this server/);
  });

  it('refuses a DNS-rebound name on a loopback server, even when Origin and Host agree', () => {
    expect(foreignRequest('http://rebind.example:3000', 'rebind.example:3000', true)).toMatch(/not a loopback address/);
    expect(foreignRequest(undefined, 'rebind.example:3000', true)).toMatch(/not a loopback address/);
    expect(foreignRequest(undefined, '127.0.0.1.evil.example:3000', true)).toMatch(/not a loopback address/);
    // beyond loopback the token decides; a name is fine there
    expect(foreignRequest('http://lab.example:3000', 'lab.example:3000', false)).toBeUndefined();
  });
});
