// The tour's guard: `node guard.js DIR STARTED`, started by the tour (runner.ts startGuard),
// its stdin a pipe from the tour. It does nothing until that pipe closes, which happens when
// the tour exits, however it exits (SIGKILL included). A tour that cleaned up has removed
// DIR first: nothing to do. Otherwise the guard replays DIR's registry and removes what the
// tour made (the same checks as the tour's own cleanup), then DIR. Ctrl-C on a terminal
// reaches it too: it ignores SIGINT/SIGHUP/SIGTERM, the tour decides.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRY_FILE, removeOwned, replay } from './objects.js';

function main(): void {
  const [dir, started] = process.argv.slice(2);
  if (!dir || !started) {
    process.stderr.write('svipc tour guard: started by svipc tour only\n');
    process.exit(2);
  }
  for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(sig, () => {});
  process.stdin.on('error', () => {});
  process.stdin.resume();
  process.stdin.on('end', () => {
    const registry = join(dir, REGISTRY_FILE);
    if (existsSync(registry)) {
      const left = removeOwned(replay(readFileSync(registry, 'utf8')), Number(started));
      if (left.length > 0) {
        process.stderr.write(
          `svipc tour: the tour died; its guard removed what it had left: ${left.join(', ')}\n`,
        );
      }
    }
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

main();
