// The launcher's entry (bin/svipc loads this, bundled) and the one table of command modules:
// each loaded only when its command runs, so start-up pays for one command. src/ never
// imports a command: the launcher gets this table as an argument.
import type { CommandModule } from '../src/cli/context.js';
import { main } from '../src/cli/main.js';

export const LOADERS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  ipcs: () => import('./ipcs.js'),
  ipcmk: () => import('./ipcmk.js'),
  ipcrm: () => import('./ipcrm.js'),
  lsipc: () => import('./lsipc.js'),
  ftok: () => import('./ftok.js'),
  'svsem-demo': () => import('./svsem-demo.js'),
  stdin2shm: () => import('./stdin2shm.js'),
  shm2stdout: () => import('./shm2stdout.js'),
  'svshm-writer': () => import('./svshm-writer.js'),
  'svshm-reader': () => import('./svshm-reader.js'),
  'shm-list-writer': () => import('./shm-list-writer.js'),
  'shm-list-reader': () => import('./shm-list-reader.js'),
  'stat-server': () => import('./stat-server.js'),
  'stat-client': () => import('./stat-client.js'),
  tour: () => import('./tour.js'),
  msg: () => import('./msg.js'),
  sem: () => import('./sem.js'),
  shm: () => import('./shm.js'),
  snapshot: () => import('./snapshot.js'),
  diff: () => import('./diff.js'),
  leaks: () => import('./leaks.js'),
  run: () => import('./run.js'),
  who: () => import('./who.js'),
  metrics: () => import('./metrics.js'),
  top: () => import('./top.js'),
  completion: () => import('./completion.js'),
};

/** Run svipc with these arguments (process.argv: node, the script, then the command's). */
export function start(argv: string[]): Promise<never> {
  return main(argv, LOADERS);
}
