// What msgctl, semctl and shmctl share: a call that fills one kernel struct (IPC_STAT,
// *_STAT_ANY, IPC_INFO, *_INFO), its buffer decoded, its return value kept (an id, an index);
// per kind, its struct *id_ds read by id or by kernel index and written back by IPC_SET; and
// the part of a queue's, set's and segment's class that only these calls make (SysvObject).
import { C } from './constants.js';
import { decode, encode, type StructType, sizeOf } from './libc.js';
import { disposeCreated } from './owned.js';
import type { Traced, Tracer } from './trace.js';
import { checkId } from './validate.js';

/** A buffer the size of `layout`, filled by `call`, decoded; `buf` stays for an IPC_SET. */
export function ctlStruct<R>(
  layout: StructType,
  call: (buf: Buffer) => number,
): { raw: R; buf: Buffer; ret: number } {
  const buf = Buffer.alloc(sizeOf(layout));
  const ret = call(buf);
  return { raw: decode<R>(buf, layout), buf, ret };
}

/** One kind's struct *id_ds (`R` as decoded, `D` as svipc gives it) and the calls that move it. */
export class IdStruct<R, D> {
  constructor(
    private readonly layout: StructType,
    /** The kind's xxctl(id, cmd, buf), traced to `t`. */
    private readonly ctl: (id: number, cmd: number, buf: Buffer, t?: Tracer) => number,
    private readonly convert: (raw: R) => D,
    /** The kind's *_STAT (permission-checked) and *_STAT_ANY. */
    private readonly indexCmds: { checked: number; any: number },
  ) {}

  /** xxctl(id, cmd) into a fresh struct (IPC_STAT unless said). */
  raw(id: number, cmd: number = C.IPC_STAT, t?: Tracer): { raw: R; buf: Buffer; ret: number } {
    return ctlStruct<R>(this.layout, (buf) => this.ctl(id, cmd, buf, t));
  }

  /** IPC_STAT of the object `id`. */
  of(id: number, t?: Tracer): D {
    return this.convert(this.raw(id, C.IPC_STAT, t).raw);
  }

  /**
   * *_STAT_ANY on a kernel index (any object, read permission or not); with `checked`,
   * *_STAT, which fails with EACCES where the caller may not read (util-linux's fallback).
   */
  atIndex(index: number, checked: boolean | undefined): { id: number; ds: D } {
    const { raw, ret } = this.raw(index, checked ? this.indexCmds.checked : this.indexCmds.any);
    return { id: ret, ds: this.convert(raw) };
  }

  /** IPC_SET: the struct as IPC_STAT reads it, changed by `change`, written back. */
  set(id: number, t: Tracer | undefined, change: (raw: R) => void): void {
    const { raw, buf } = this.raw(id, C.IPC_STAT, t);
    change(raw);
    encode(buf, this.layout, raw as object);
    this.ctl(id, C.IPC_SET, buf, t);
  }
}

/**
 * The base of a kind's class (MessageQueue, SemaphoreSet, SharedMemory): the id checked as
 * `idName`, the tracer kept, its *id_ds read through `ds`, IPC_RMID through `rmid`, and `using`.
 */
export function SysvObject<R, D>(
  idName: string,
  ds: IdStruct<R, D>,
  rmid: (id: number, t: Tracer | undefined) => void,
) {
  return class {
    /** Where this object's calls are traced (none by default). */
    readonly trace: Tracer | undefined;

    constructor(
      readonly id: number,
      opts: Traced = {},
    ) {
      checkId(idName, id);
      this.trace = opts.trace;
    }

    /**
     * *_STAT_ANY on a kernel index (any object, read permission or not); with `checked`,
     * *_STAT, which fails with EACCES where the caller may not read (util-linux's fallback).
     */
    static statIndex(index: number, opts: { checked?: boolean } = {}): { id: number; ds: D } {
      return ds.atIndex(index, opts.checked);
    }

    /** IPC_STAT. */
    stat(): D {
      return ds.of(this.id, this.trace);
    }

    /** IPC_RMID (a segment is destroyed once the last process detaches). */
    remove(): void {
      rmid(this.id, this.trace);
    }

    /** `using x = X.create(...)`: removed at the end of the scope (one opened with `get` is not). */
    [Symbol.dispose](): void {
      disposeCreated(this);
    }
  };
}
