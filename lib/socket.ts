// The page's socket.io client, typed by the shared contract, and a promise wrapper for acks.
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../server/realtime/contract.ts';

export type PageSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectSocket(accessToken?: string): PageSocket {
  return io({ transports: ['websocket', 'polling'], auth: accessToken ? { token: accessToken } : {}, reconnectionDelayMax: 3000 });
}

type AckData<E extends keyof ClientToServerEvents> =
  Parameters<ClientToServerEvents[E]>[1] extends ((a: Ack<infer T>) => void) | undefined ? T : never;

export class RequestError extends Error {
  constructor(message: string, readonly fields?: { path: string; message: string }[]) { super(message); }
}

/** Send a request and resolve with its data, or reject with the server's sentence. */
export function request<E extends keyof ClientToServerEvents>(
  socket: PageSocket, event: E, payload: Parameters<ClientToServerEvents[E]>[0], timeoutMs = 120_000,
): Promise<AckData<E>> {
  return new Promise((resolve, reject) => {
    const s = socket as unknown as { timeout(ms: number): { emit(e: string, p: unknown, cb: (err: Error | null, a: Ack<AckData<E>>) => void): void } };
    s.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) return reject(new RequestError(`${event}: the server did not answer in time`));
      if (ack.ok) resolve(ack.data);
      else reject(new RequestError(ack.error, ack.fields));
    });
  });
}
