// `using` support: an object that `create` made is removed when its scope ends; an object
// opened with `get` (or by id) is someone else's and is left alone.
import { isIpcError } from './errors.js';

const created = new WeakSet<object>();

/** Mark `obj` as made by this process (by a `create`), so that disposing of it removes it. */
export function markCreated<T extends object>(obj: T): T {
  created.add(obj);
  return obj;
}

/** Whether `obj` came from a `create` and has not been disposed of yet. */
export function wasCreated(obj: object): boolean {
  return created.has(obj);
}

/** Symbol.dispose of the System V classes: remove what `create` made, once; gone already is fine. */
export function disposeCreated(obj: { remove(): void }): void {
  if (!created.delete(obj)) return;
  try {
    obj.remove();
  } catch (e) {
    // Removed meanwhile (by the program itself or ipcrm): the goal is reached.
    if (!isIpcError(e, 'EINVAL', 'EIDRM')) throw e;
  }
}
