/**
 * Serves the demo page and the built bundle (`--demo`): GET / is demo/index.html,
 * then only files under demo/ and dist/. Paths are resolved and checked to stay
 * inside those folders (also through symlinks); anything else is a 404.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

const SERVED_FOLDERS = ['demo', 'dist'] as const;

const inside = (base: string, path: string) => path === base || path.startsWith(base + sep);

/** The file a URL path names, or undefined when it is outside what may be served. */
export function staticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  if (decoded === '/') decoded = '/demo/index.html';
  const folder = SERVED_FOLDERS.find((name) => decoded.startsWith(`/${name}/`));
  if (!folder) return undefined;
  const base = resolve(root, folder);
  const full = resolve(root, `.${decoded}`);
  return inside(base, full) ? full : undefined;
}

/** Answers a GET/HEAD for a static file; returns false when the path is not a static one. */
export async function serveStatic(root: string, urlPath: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (urlPath === '/demo') {
    res.writeHead(301, { Location: '/demo/' }).end();
    return true;
  }
  let file = staticPath(root, urlPath);
  if (!file) return false;
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      file = resolve(file, 'index.html');
      info = await stat(file);
    }
    // A symlink must not lead outside the served folders either.
    const real = await realpath(file);
    const realRoot = await realpath(root);
    if (!SERVED_FOLDERS.some((folder) => inside(resolve(realRoot, folder), real)) || !info.isFile()) return false;
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
    return true;
  } catch {
    return false;
  }
}
