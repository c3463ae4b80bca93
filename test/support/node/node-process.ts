/** A server node as a child process (`server/cli.ts`), so a test can SIGKILL it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export class NodeProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/stream`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts `npm run server -- --port 0 ...args` (or another script that prints
   * `listening on ws://HOST:PORT/`, given all its arguments) and resolves once it listens.
   */
  static start(args: string[], script?: string): Promise<NodeProcess> {
    const argv = script ? [script, ...args] : ['server/cli.ts', '--port', '0', ...args];
    const child = spawn(process.execPath, ['--import', 'tsx', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // A test process that exits without kill() (cancelled, timed out) takes its nodes with it.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`node did not start within 15 s: ${output}`));
      }, 15_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on ws:\/\/[^:]+:(\d+)\//.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve(new NodeProcess(child, Number(match[1])));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code}: ${output}`));
      });
    });
  }

  /** SIGKILL: no close frames, no goodbye, as a crash. */
  kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
