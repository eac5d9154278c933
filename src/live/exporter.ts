// Where `svipc metrics` puts its figures besides stdout: a node_exporter textfile, written
// atomically (a temporary file in the same directory, flushed, renamed over the old one), or
// an HTTP endpoint serving GET /metrics until the command is told to stop (ctx.signal).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { CommandError, EXIT } from '../cli/exit.js';
import { parseListen } from '../cli/values.js';
import { exposition, PROMETHEUS_CONTENT_TYPE } from '../render/prometheus.js';
import { collectMetrics } from './metrics.js';

/** The file name node_exporter's textfile collector reads in the --textfile directory. */
export const TEXTFILE = 'svipc.prom';

/** Write DIR/svipc.prom (`text`): a temporary file in DIR (not *.prom), flushed, then renamed over it. */
export function writeTextfile(dir: string, text: string): void {
  const tmp = join(dir, `.${TEXTFILE}.${process.pid}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, join(dir, TEXTFILE));
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    // "ENOENT: no such file or directory, open '...'" -> "no such file or directory (ENOENT)"
    const why = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
    throw new CommandError(`cannot write ${join(dir, TEXTFILE)}: ${why}${err.code ? ` (${err.code})` : ''}`);
  }
}

/**
 * Serve GET/HEAD /metrics on ADDRESS (HOST:PORT) until ctx.signal aborts (SIGINT/SIGTERM), then
 * close every connection: that is how it ends, exit 0. A fresh collection per request.
 */
export async function serve(ctx: CommandContext, address: string, perObject: boolean): Promise<number> {
  const { host, port } = parseListen(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only\n');
      return;
    }
    let body: string;
    try {
      body = exposition(collectMetrics({ perObject }));
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CommandError(`listen ${address}: ${e.code ?? e.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  ctx.stderr.write(`${ctx.prog}: serving http://${shown}:${a.port}/metrics\n`);
  if (!ctx.signal.aborted)
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return EXIT.OK;
}
