/** Starts test/server/stress/server-child.ts and talks to it (heap after GC, counts over HTTP). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InternalServerOptions } from '../../../server/app.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildServer {
  url: string;
  httpUrl: string;
  epoch: string;
  child: ChildProcess;
  /** Heap used after full GCs, and the highest heap sampled since the last call. */
  heap(): Promise<{ heapUsed: number; peakHeapUsed: number }>;
  /** true while the process runs. */
  alive(): boolean;
  /** Connections, subscriptions and client addresses the server holds (from /metrics). */
  counts(): Promise<{ connections: number; subscriptions: number; addresses: number }>;
  metric(sample: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startChildServer(options: InternalServerOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/server/stress/server-child.ts', JSON.stringify(options)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const info = await new Promise<{ url: string; httpUrl: string; epoch: string }>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        child.stdout!.off('data', onData);
        try {
          resolve(JSON.parse(out.slice(0, newline)));
        } catch (error) {
          reject(error);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server child exited with ${code} before listening`)));
  });
  const metricsText = async () => (await fetch(`${info.httpUrl}/metrics`)).text();
  const read = (text: string, sample: string) => {
    for (const line of text.split('\n')) if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
    return 0;
  };
  return {
    ...info,
    child,
    alive: () => !exited && child.exitCode === null,
    heap: () =>
      new Promise((resolve, reject) => {
        if (exited) return reject(new Error('server child is gone'));
        child.once('message', (message) => resolve(message as { heapUsed: number; peakHeapUsed: number }));
        child.send({ cmd: 'heap' });
      }),
    async counts() {
      const text = await metricsText();
      return { connections: read(text, 'lmw_connections'), subscriptions: read(text, 'lmw_subscriptions'), addresses: read(text, 'lmw_client_addresses') };
    },
    async metric(sample) {
      return read(await metricsText(), sample);
    },
    async stop() {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
