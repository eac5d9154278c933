// The tour's guard: `node guard.js DIR STARTED`, started by the tour (runner.ts startGuard),
// its stdin a pipe from the tour. It does nothing until that pipe closes, which happens when
// the tour exits, however it exits (SIGKILL included). A tour that cleaned up has removed
// DIR first: nothing to do. Otherwise the guard replays DIR's registry and removes what the
// tour made (the same checks as the tour's own cleanup), then DIR. Ctrl-C on a terminal
// reaches it too: it ignores SIGINT/SIGHUP/SIGTERM, the tour decides.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Kind, type Owned, REGISTRY_FILE, type RegistryLine, removeOwned } from './runner.js';

/** The objects a registry leaves owned, in order. */
export function replay(text: string): { owned: Owned[]; ownedKeys: { kind: Kind; key: number }[] } {
  const owned: Owned[] = [];
  const ownedKeys: { kind: Kind; key: number }[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let line: RegistryLine;
    try {
      line = JSON.parse(raw) as RegistryLine;
    } catch {
      continue; // a line cut by the tour's death
    }
    const i = owned.findIndex((o) => o.kind === line.kind && 'id' in line && o.id === line.id);
    if (line.op === 'own') {
      if (i >= 0) owned.splice(i, 1);
      owned.push(
        line.key === undefined
          ? { kind: line.kind, id: line.id }
          : { kind: line.kind, id: line.id, key: line.key },
      );
    } else if (line.op === 'disown') {
      if (i >= 0) owned.splice(i, 1);
    } else {
      ownedKeys.push({ kind: line.kind, key: line.key });
    }
  }
  return { owned, ownedKeys };
}

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
      const { owned, ownedKeys } = replay(readFileSync(registry, 'utf8'));
      const left = removeOwned(owned, ownedKeys, Number(started));
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
