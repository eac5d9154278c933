// The IPC objects one test file made, removed after each of its tests (only those: never an
// object the file did not create).
import { afterEach } from 'vitest';

/** An array to push what a test makes to; after each test, every one is removed (once). */
export function removedAfterEach<T extends { remove(): void }>(): T[] {
  const made: T[] = [];
  afterEach(() => {
    for (const o of made.splice(0)) {
      try {
        o.remove();
      } catch {
        // removed already
      }
    }
  });
  return made;
}
