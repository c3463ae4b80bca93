/**
 * A publishing server under test in its own process: `--impl ours` runs the reference
 * server (feed 'none', publishing on, no publish rate limit) with the topic `events:bench`;
 * `--impl bare` the baseline, a minimal Node HTTP handler that takes `POST
 * /api/events/bench`, wraps the body as it came in an update message (no parse, no
 * checks) and sends it to the same `ws` clients, one frame per loop tick as the reference
 * server does. Driven over IPC by bench/publish.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { STREAM_PATH } from '../src/protocol/index.js';
import { cpuMicros, serveRpc } from './lib/proc.js';
import { batchText } from './lib/wire.js';
import { BENCH_CHANNEL, PUBLISH_TOKEN } from './publish.js';

const TOPIC = `events:${BENCH_CHANNEL}`;

const implArg = process.argv[process.argv.indexOf('--impl') + 1];
const impl = implArg === 'ours' ? 'ours' : 'bare';
let close: (() => Promise<unknown>) | undefined;

async function startOurs(): Promise<{ url: string; httpUrl: string }> {
  const { startMarketServer } = await import('../server/app.js');
  const server = await startMarketServer({ port: 0, feed: 'none', publishToken: PUBLISH_TOKEN, publishRate: 0 });
  server.publishEvent(BENCH_CHANNEL, { type: 'start', data: null }); // the topic exists before the clients subscribe
  close = () => server.close();
  return { url: server.url, httpUrl: server.httpUrl };
}

async function startBare(): Promise<{ url: string; httpUrl: string }> {
  const epoch = `bare-${Date.now().toString(36)}`;
  let seq = 0;
  const pending: string[] = [];
  let scheduled = false;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const flush = () => {
    scheduled = false;
    const frame = Buffer.from(pending.length === 1 ? pending[0]! : batchText(pending));
    pending.length = 0;
    for (const socket of wss.clients) socket.send(frame, { binary: false });
  };
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== `/api/events/${BENCH_CHANNEL}`) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seq += 1;
      pending.push(`{"op":"update","topic":"${TOPIC}","seq":${seq},"time":${Date.now()},"data":${Buffer.concat(chunks).toString('utf8')}}`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      const body = `{"topic":"${TOPIC}","seq":${seq}}`;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    });
  });
  http.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith(STREAM_PATH)) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.includes('"hello"')) ws.send(JSON.stringify({ op: 'welcome', v: 1, session: 'bare', heartbeatMs: 15_000, serverTime: Date.now() }));
        else if (text.includes('"sub"')) {
          const id = (JSON.parse(text) as { id: number }).id;
          ws.send(JSON.stringify({ op: 'subscribed', id, topic: TOPIC, epoch, seq, recovered: false }));
          ws.send(JSON.stringify({ op: 'snapshot', topic: TOPIC, epoch, seq, data: { channel: BENCH_CHANNEL, max: 100, events: [] } }));
        }
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const port = (http.address() as { port: number }).port;
  close = async () => {
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return { url: `ws://127.0.0.1:${port}${STREAM_PATH}`, httpUrl: `http://127.0.0.1:${port}` };
}

// With LMW_PROF (a --cpu-prof run) a SIGTERM exits normally, so the profile is written.
if (process.env.LMW_PROF) process.on('SIGTERM', () => process.exit(0));
serveRpc({
  start: () => (impl === 'ours' ? startOurs() : startBare()),
  stats: () => ({ cpuMicros: cpuMicros() }),
  close: async () => {
    await close?.();
    return true;
  },
});
