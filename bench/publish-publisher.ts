/**
 * The publisher of the publish part, in its own process: `POST /api/events/bench` over
 * HTTP keep-alive, `concurrency` requests in flight, one event per request, each carrying
 * its send time (`data.t`) for the subscribers' latency. Counts the 200s per window.
 */
import { Agent, request } from 'node:http';
import { serveRpc } from './lib/proc.js';

const now = () => performance.timeOrigin + performance.now();

serveRpc({
  async run(args: { httpUrl: string; token: string; path: string; concurrency: number; warmMs: number; windowMs: number }) {
    const url = new URL(args.path, args.httpUrl);
    const agent = new Agent({ keepAlive: true, maxSockets: args.concurrency });
    const start = performance.now();
    const windowStart = start + args.warmMs;
    const end = windowStart + args.windowMs;
    let ok = 0;
    let failed = 0;
    let n = 0;
    const one = () =>
      new Promise<void>((resolve) => {
        const body = `{"type":"tick","data":{"n":${n++},"t":${now()}}}`;
        const req = request(
          url,
          {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${args.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const t = performance.now();
              if (t >= windowStart && t < end) {
                if (res.statusCode === 200) ok++;
                else failed++;
              }
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(body);
      });
    const lane = async () => {
      while (performance.now() < end) await one();
    };
    await Promise.all(Array.from({ length: args.concurrency }, lane));
    agent.destroy();
    return { ok, failed, seconds: args.windowMs / 1000 };
  },
});
