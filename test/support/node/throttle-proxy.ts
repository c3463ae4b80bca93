/**
 * A TCP proxy that passes the server-to-client direction at a fixed rate (bytes per second),
 * with backpressure: it stops reading from the server while it holds more than a small
 * buffer, so the server sees a slow link (its send buffer fills), as over a real network.
 * Client-to-server bytes pass at once. `url(server)` rewrites a ws:// URL to go through it.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ThrottleProxy {
  port: number;
  /** The WebSocket URL of `target` through the proxy. */
  url(target: string): string;
  /** Bytes passed to clients so far. */
  readonly bytes: number;
  close(): Promise<void>;
}

/** Time slice of the pacing. */
const TICK_MS = 10;

export async function startThrottleProxy(targetPort: number, bytesPerSecond: number, targetHost = '127.0.0.1'): Promise<ThrottleProxy> {
  const sockets = new Set<Socket>();
  let passed = 0;
  const perTick = Math.max(1, Math.round((bytesPerSecond * TICK_MS) / 1000));
  /** Held per connection before the proxy stops reading from the server. */
  const maxHeld = Math.max(64 * 1024, perTick * 4);

  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const held: Buffer[] = [];
    let heldBytes = 0;
    let paused = false;
    let ended = false;
    let flushThenEnd: NodeJS.Timeout | undefined;
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && held.length > 0) {
        const chunk = held[0]!;
        const part = chunk.length <= budget ? chunk : chunk.subarray(0, budget);
        if (part === chunk) held.shift();
        else held[0] = chunk.subarray(budget);
        budget -= part.length;
        heldBytes -= part.length;
        passed += part.length;
        if (!client.destroyed) client.write(part);
      }
      if (paused && heldBytes < maxHeld) {
        paused = false;
        upstream.resume();
      }
    }, TICK_MS);
    upstream.on('data', (chunk: Buffer) => {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes >= maxHeld && !paused) {
        paused = true;
        upstream.pause();
      }
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      clearInterval(flushThenEnd);
      held.length = 0;
      heldBytes = 0;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // The server closed: pass what is held first, then close.
    upstream.on('end', () => {
      if (ended) return;
      flushThenEnd = setInterval(() => {
        if (heldBytes === 0 || client.destroyed) end();
      }, TICK_MS);
    });
    upstream.on('error', end);
    client.on('error', end);
    client.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (target) => target.replace(/\/\/[^/]+/, `//127.0.0.1:${port}`),
    get bytes() {
      return passed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
