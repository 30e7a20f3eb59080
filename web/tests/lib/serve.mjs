// A small static HTTP server on 127.0.0.1 for the browser tools and tests.
//
//   const server = await serve(dir);                        // one folder at /
//   const server = await serve({ '/dist/': distDir, '/': pagesDir }, { port: 0, routes });
//   server.url    // 'http://127.0.0.1:PORT/' (a free port unless `port` is given)
//   await server.close();
//
// `routes` maps an exact path ('/files.json') or a prefix ending in '/' ('/files/') to a
// handler `(req, res, url) => void`; routes are tried before the folders, the longest first.
// Files are sent with their MIME type (`application/wasm` for .wasm, as streaming compilation
// requires) and `Cache-Control: no-store`; paths outside a mounted folder and folders themselves
// are 404 (no listings). `headers` are set on every answer, routes' included.
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The MIME type for a file name (application/octet-stream when unknown). */
export function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Sends one file from disk (404 when it is missing or not a regular file). */
export async function sendFile(res, file, headers = {}) {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    stat = null;
  }
  if (!stat?.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain', ...headers }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': mimeType(file),
    'Content-Length': stat.size,
    'Cache-Control': 'no-store',
    ...headers,
  });
  createReadStream(file).pipe(res);
}

/**
 * Serves `mounts` (a folder, or `{ '/prefix/': folder }`) on 127.0.0.1.
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>}>}
 */
export async function serve(mounts, { port = 0, routes = {}, headers = {} } = {}) {
  const folders = Object.entries(typeof mounts === 'string' ? { '/': mounts } : mounts)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, path.resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  const handlers = Object.entries(routes).sort((a, b) => b[0].length - a[0].length);

  const server = createServer(async (req, res) => {
    try {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      const url = new URL(req.url, 'http://127.0.0.1');
      const pathname = decodeURIComponent(url.pathname);
      for (const [route, handler] of handlers) {
        if (pathname === route || (route.endsWith('/') && pathname.startsWith(route))) {
          await handler(req, res, url);
          return;
        }
      }
      for (const [prefix, dir] of folders) {
        if (!pathname.startsWith(prefix)) continue;
        const file = path.resolve(dir, `.${pathname.slice(prefix.length - 1)}`);
        if (file !== dir && !file.startsWith(dir + path.sep)) break;
        await sendFile(res, file);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${error}\n`);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
