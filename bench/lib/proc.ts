/**
 * Child processes for the bench: every server and every client swarm runs in its own
 * Node process so that its CPU time is its own. Parent and child talk over the IPC
 * channel with a tiny request/response protocol.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RpcRequest {
  rpc: number;
  cmd: string;
  args?: unknown;
}
export interface RpcResponse {
  rpc: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface SpawnOptions {
  /** Raise the open-file limit first (through bash, which then execs node). */
  nofile?: number;
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

export interface Child {
  process: ChildProcess;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Messages that are not RPC replies (events pushed by the child). */
  onEvent(listener: (event: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

const tsxImport = ['--import', 'tsx'];

/** Starts `node --import tsx <script>` (a path relative to bench/) with an IPC channel. */
export function spawnChild(script: string, args: string[] = [], options: SpawnOptions = {}): Child {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const nodeArgs = [...(options.nodeFlags ?? []), ...tsxImport, file, ...args];
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  const env = { ...process.env, ...options.env };
  const child = options.nofile
    ? // Raise the soft limit as far as asked, or to the hard limit when that is lower.
      spawn('bash', ['-c', `ulimit -n ${options.nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, process.execPath, ...nodeArgs], { stdio, env })
    : spawn(process.execPath, nodeArgs, { stdio, env });
  return wrap(child, script);
}

function wrap(child: ChildProcess, name: string): Child {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const listeners: ((event: Record<string, unknown>) => void)[] = [];
  let exited = false;
  // A send to a child that just died fails asynchronously (EPIPE); the exit handler reports it.
  child.on('error', () => undefined);
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (code ${code}, signal ${signal}) during a call`));
      }
      pending.clear();
      resolve();
    });
  });
  child.on('message', (raw) => {
    const message = raw as Partial<RpcResponse> & Record<string, unknown>;
    if (typeof message.rpc === 'number' && pending.has(message.rpc)) {
      const p = pending.get(message.rpc)!;
      pending.delete(message.rpc);
      clearTimeout(p.timer);
      if (message.ok) p.resolve(message.value);
      else p.reject(new Error(`${name}: ${message.error}`));
      return;
    }
    for (const l of listeners) l(message);
  });
  return {
    process: child,
    call<T>(cmd: string, args?: unknown, timeoutMs = 30_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const rpc = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(rpc);
          reject(new Error(`${name}: ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject, timer });
        child.send({ rpc, cmd, args } satisfies RpcRequest, (error) => {
          if (!error || !pending.has(rpc)) return;
          pending.delete(rpc);
          clearTimeout(timer);
          reject(new Error(`${name}: ${cmd}: ${error.message}`));
        });
      });
    },
    onEvent(listener) {
      listeners.push(listener);
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

type Handler = (args: any) => unknown;

/** Child side: answers RPC requests from the parent; exits when the parent goes away. */
export function serveRpc(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('this script runs as a bench child process (no IPC channel)');
  process.on('message', async (raw) => {
    const request = raw as RpcRequest;
    if (typeof request?.rpc !== 'number') return;
    const handler = handlers[request.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${request.cmd}`);
      const value = await handler(request.args);
      process.send!({ rpc: request.rpc, ok: true, value } satisfies RpcResponse);
    } catch (error) {
      process.send!({ rpc: request.rpc, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies RpcResponse);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Pushes an event to the parent (not an RPC reply). */
export function emit(event: Record<string, unknown>): void {
  process.send?.(event);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU time of this process in microseconds (user + system). */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
