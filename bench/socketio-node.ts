/**
 * The cluster bench's baseline node (bench/cluster.ts): Socket.IO with
 * `@socket.io/redis-streams-adapter` on a shared Redis, WebSocket transport only. Every
 * client joins one room; `POST /publish` with a JSON array of messages emits each to the
 * room (the adapter carries it to the other nodes through the Redis stream), stamping
 * `time` with this node's clock as our nodes do. Prints `listening on ws://127.0.0.1:PORT/`.
 *
 *   node --import tsx bench/socketio-node.ts <port> <redis-url>
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';

const port = Number(process.argv[2] ?? 0);
const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';
const redis = new Redis(redisUrl);

const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const messages = JSON.parse(Buffer.concat(chunks).toString()) as Array<Record<string, unknown>>;
    const time = Date.now();
    for (const message of messages) io.to('ticks').emit('update', { ...message, time });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"accepted":${messages.length}}`);
  });
});
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, adapter: createAdapter(redis) });
io.on('connection', (socket) => {
  void socket.join('ticks');
  socket.emit('ready');
});
http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  console.log(`listening on ws://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`);
});
process.on('SIGTERM', () => process.exit(0));
