// Starts createApplication on port 0 with a given engine and hands out typed socket.io clients.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { createApplication, type AppDeps, type Application } from '../../server/realtime/app.ts';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/contract.ts';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Harness {
  app: Application;
  url: string;
  client(auth?: Record<string, unknown>): Promise<Client>;
  close(): Promise<void>;
}

export async function startServer(deps: Omit<AppDeps, 'root'> & { root?: string }): Promise<Harness> {
  const http = createServer();
  const app = createApplication(http, { root: process.cwd(), log: () => {}, ...deps });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: Client[] = [];
  return {
    app,
    url,
    async client(auth) {
      const c: Client = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
      clients.push(c);
      await new Promise<void>((ok, fail) => {
        c.once('connect', () => ok());
        c.once('connect_error', fail);
      });
      return c;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await app.close();
    },
  };
}

/** Emit with an ack and a timeout; returns the ack. `any` payload on purpose: tests send malformed ones. */
export function request<T = unknown>(c: Client, event: string, payload: unknown, ms = 5000): Promise<Ack<T>> {
  return (c as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<Ack<T>> } })
    .timeout(ms).emitWithAck(event, payload);
}

export function waitFor<T>(check: () => T | undefined | false, ms = 5000, every = 25): Promise<T> {
  const start = Date.now();
  return new Promise((ok, fail) => {
    const tick = () => {
      const v = check();
      if (v) return ok(v);
      if (Date.now() - start > ms) return fail(new Error('timed out waiting'));
      setTimeout(tick, every);
    };
    tick();
  });
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
