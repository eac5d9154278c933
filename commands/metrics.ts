// svipc metrics: System V IPC limits, usage and use ratios, objects by owner and (opt-in) per
// object, in the Prometheus text format: on stdout, into a node_exporter textfile (written
// atomically), or served over HTTP at /metrics (src/live/exporter.ts).
import type { CommandContext } from '../src/cli/context.js';
import { EXIT, UsageError } from '../src/cli/exit.js';
import { defineCommand } from '../src/cli/spec.js';
import { serve, TEXTFILE, writeTextfile } from '../src/live/exporter.js';
import { collectMetrics } from '../src/live/metrics.js';
import { exposition } from '../src/render/prometheus.js';

interface Opts {
  perObject?: boolean;
  textfile?: string;
  listen?: string;
}

async function metricsAction(ctx: CommandContext, opts: Opts): Promise<number> {
  const perObject = opts.perObject === true;
  if (opts.textfile !== undefined && opts.listen !== undefined)
    throw new UsageError('--textfile and --listen are exclusive');
  if (opts.listen !== undefined) return serve(ctx, opts.listen, perObject);
  const text = exposition(collectMetrics({ perObject }));
  if (opts.textfile !== undefined) writeTextfile(opts.textfile, text);
  else ctx.stdout.write(text);
  return EXIT.OK;
}

export const { spec, run } = defineCommand({
  summary:
    'Print System V IPC limits, usage and use ratios (the figures of `ipcs -l` and `ipcs -u`) and\n' +
    'the objects counted by kind and owner in the Prometheus text exposition format.',
  options: [
    {
      flags: '--per-object',
      description:
        'also one series per object (messages, bytes, nattch, semaphores, waiters), labelled kind, id, key, owner',
    },
    {
      flags: '--textfile <dir>',
      description: `write DIR/${TEXTFILE} atomically for node_exporter's textfile collector`,
    },
    {
      flags: '--listen <host:port>',
      description: 'serve GET /metrics over HTTP until SIGINT/SIGTERM (port 0: any free port)',
    },
  ],
  help:
    '\nEvery series is a gauge named svipc_*, in base units (bytes); a figure the kernel does not\n' +
    'give is left out, not zeroed. --per-object series carry one label set per object: enable\n' +
    'them only where the number of objects is bounded.\n' +
    '\nExit status: 0 ok (also when SIGINT/SIGTERM stop --listen: that is how it ends); 1 failed\n' +
    '(the file cannot be written, the address cannot be bound); 2 usage; 141 stdout closed.\n',
  examples: [
    ['svipc metrics', 'the figures once, on stdout'],
    ['svipc metrics --textfile /var/lib/prometheus/node-exporter', 'from cron or a timer, for node_exporter'],
    ['svipc metrics --listen 127.0.0.1:9464', 'a scrape target, until Ctrl-C'],
  ],
  action: metricsAction,
});
