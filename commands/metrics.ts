// svipc metrics: System V IPC limits, usage and use ratios, objects by owner and (opt-in) per
// object, in the Prometheus text format: on stdout, into a node_exporter textfile (written
// atomically), or served over HTTP at /metrics.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT, UsageError } from '../src/cli/exit.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { parseListen } from '../src/cli/values.js';
import { collectMetrics } from '../src/live/metrics.js';
import { exposition, PROMETHEUS_CONTENT_TYPE } from '../src/render/prometheus.js';

const TEXTFILE = 'svipc.prom';

/** Write DIR/svipc.prom: a temporary file in DIR (not *.prom), flushed, then renamed over it. */
function writeTextfile(dir: string, text: string): void {
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

async function serve(ctx: CommandContext, address: string, perObject: boolean): Promise<number> {
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

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'Print System V IPC limits, usage and use ratios (the figures of `ipcs -l` and `ipcs -u`) and\n' +
      'the objects counted by kind and owner in the Prometheus text exposition format.',
  )
    .option(
      '--per-object',
      'also one series per object (messages, bytes, nattch, semaphores, waiters), labelled kind, id, key, owner',
    )
    .option('--textfile <dir>', `write DIR/${TEXTFILE} atomically for node_exporter's textfile collector`)
    .option(
      '--listen <host:port>',
      'serve GET /metrics over HTTP until SIGINT/SIGTERM (port 0: any free port)',
    )
    .addHelpText(
      'after',
      '\nEvery series is a gauge named svipc_*, in base units (bytes); a figure the kernel does not\n' +
        'give is left out, not zeroed. --per-object series carry one label set per object: enable\n' +
        'them only where the number of objects is bounded.\n' +
        '\nExamples:\n' +
        '  svipc metrics --textfile /var/lib/prometheus/node-exporter   # from cron or a timer\n' +
        '  svipc metrics --listen 127.0.0.1:9464                         # scrape target\n' +
        '\nExit status: 0 ok (also when SIGINT/SIGTERM stop --listen: that is how it ends); 1 failed\n' +
        '(the file cannot be written, the address cannot be bound); 2 usage; 141 stdout closed.\n',
    );
  program.action(
    action(program, async (opts: { perObject?: boolean; textfile?: string; listen?: string }) => {
      const perObject = opts.perObject === true;
      if (opts.textfile !== undefined && opts.listen !== undefined)
        throw new UsageError('--textfile and --listen are exclusive');
      if (opts.listen !== undefined) return serve(ctx, opts.listen, perObject);
      const text = exposition(collectMetrics({ perObject }));
      if (opts.textfile !== undefined) writeTextfile(opts.textfile, text);
      else ctx.stdout.write(text);
      return EXIT.OK;
    }),
  );
  return runProgram(program, ctx);
}
