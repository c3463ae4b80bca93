/**
 * A reference server in its own process (started with --expose-gc), so the stress
 * tests measure the server's heap alone. Options come as JSON in argv[2]. IPC:
 *   {cmd:'heap'}  -> {heapUsed, peakHeapUsed} after three full GCs (peak: sampled without GC)
 *   {cmd:'close'} -> closes the server and exits 0
 * Prints one JSON line {url, httpUrl, epoch} when listening.
 */
import { startMarketServer, type InternalServerOptions } from '../../../server/app.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('server-child needs node --expose-gc');
const options = JSON.parse(process.argv[2] ?? '{}') as InternalServerOptions;
const server = await startMarketServer({ port: 0, ...options });

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}, 25);

process.on('message', async (message: { cmd?: string }) => {
  if (message.cmd === 'heap') {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { heapUsed } = process.memoryUsage();
    const peakHeapUsed = Math.max(peak, heapUsed);
    peak = heapUsed;
    process.send?.({ heapUsed, peakHeapUsed });
  } else if (message.cmd === 'close') {
    clearInterval(sampler);
    await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

console.log(JSON.stringify({ url: server.url, httpUrl: server.httpUrl, epoch: server.epoch }));
