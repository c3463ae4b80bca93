/**
 * A real `redis-server` for one test file: on a free loopback port, without persistence
 * (`--save "" --appendonly no`), stopped after. Fails with a clear message when the
 * binary is missing (CI installs the Debian package: .ci/run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private admin: Redis | undefined;

  private constructor(readonly port: number) {}

  /** The running redis-server's process id (for CPU readings). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const found = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
    if (found.error || found.status !== 0)
      throw new Error(`${REDIS_SERVER} is not installed: these tests need a real Redis (Debian: apt-get install redis-server; CI does it in .ci/run)`);
    const server = new RedisServer(await freePort());
    await server.spawn();
    return server;
  }

  private async spawn(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    // A test process that exits without stop() (cancelled, timed out) takes its Redis with it.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    const deadline = Date.now() + 5000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        break;
      } catch {
        probe.disconnect();
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error('redis-server did not start within 5 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** A plain client for the test itself (CLIENT KILL, FLUSHALL, reads). */
  async client(): Promise<Redis> {
    if (!this.admin) {
      this.admin = new Redis(this.url);
      this.admin.on('error', () => {});
    }
    return this.admin;
  }

  /** Stops the server (SIGKILL: no save, as a crash). */
  async stop(): Promise<void> {
    this.admin?.disconnect();
    this.admin = undefined;
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** A restart on the same port: a new run id, and (without persistence) no data. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.spawn();
  }
}
