// The koffi struct declarations in src/ipc/libc.ts must match the C library's headers:
// compile a tiny C program that prints sizeof/offsetof of every field we declare, and
// compare. Reserved/padding fields (__glibc_reserved*, __pad*, __*_high) are covered by
// the total size; named fields by their offsets. Constants are compared too.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/ipc/errno.js';
import { C, fieldNames, offsetOf, PX, STRUCTS, sizeOf } from '../../src/ipc/libc.js';
import { CC_SKIP_REASON, hasCompiler } from '../helpers/run.js';
import { scratchDir } from '../helpers/scratch.js';

const isPadding = (f: string) => /^__(glibc_reserved|pad|unused)|_high$/.test(f);

const dir = scratchDir('svipc-layout-');

function cLayout(): Record<string, number> {
  const lines: string[] = [];
  for (const [name, type] of Object.entries(STRUCTS)) {
    lines.push(`P("${name}", sizeof(struct ${name}));`);
    for (const f of fieldNames(type)) {
      if (!isPadding(f)) lines.push(`P("${name}.${f}", offsetof(struct ${name}, ${f}));`);
    }
  }
  for (const k of [...Object.keys(C), ...Object.keys(PX), ...Object.keys(ERRNO)])
    lines.push(`P("${k}", ${k});`);
  const src = `#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <time.h>
#include <limits.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
int main(void) {
${lines.join('\n')}
return 0;
}
`;
  writeFileSync(join(dir, 'layout.c'), src);
  const cc = spawnSync('cc', ['-o', join(dir, 'layout'), join(dir, 'layout.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed:\n${cc.stderr}`);
  const out = spawnSync(join(dir, 'layout'), { encoding: 'utf8' }).stdout;
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.split(' ')[0]!, Number(l.split(' ')[1])]),
  );
}

describe.skipIf(!hasCompiler())(
  `struct layouts and constants vs the C headers${hasCompiler() ? '' : ` (${CC_SKIP_REASON})`}`,
  () => {
    const c = hasCompiler() ? cLayout() : {};

    for (const [name, type] of Object.entries(STRUCTS)) {
      it(`struct ${name}: size and field offsets`, () => {
        expect(sizeOf(type), `sizeof(struct ${name})`).toBe(c[name]);
        for (const f of fieldNames(type)) {
          if (!isPadding(f))
            expect(offsetOf(type, f), `offsetof(struct ${name}, ${f})`).toBe(c[`${name}.${f}`]);
        }
      });
    }

    it('every IPC constant', () => {
      for (const [k, v] of Object.entries(C)) expect(v, k).toBe(c[k]);
    });

    it('every POSIX IPC constant (<sys/mman.h>, <mqueue.h>, <semaphore.h>)', () => {
      for (const [k, v] of Object.entries(PX)) expect(v, k).toBe(c[k]);
    });

    it('every errno of src/ipc/errno.ts (<errno.h>)', () => {
      for (const [k, v] of Object.entries(ERRNO)) expect(v, k).toBe(c[k]);
    });

    it('names every public field of each struct (none forgotten)', () => {
      const publicFields = {
        ipc_perm: ['__key', 'uid', 'gid', 'cuid', 'cgid', 'mode', '__seq'],
        msqid_ds: [
          'msg_perm',
          'msg_stime',
          'msg_rtime',
          'msg_ctime',
          '__msg_cbytes',
          'msg_qnum',
          'msg_qbytes',
          'msg_lspid',
          'msg_lrpid',
        ],
        semid_ds: ['sem_perm', 'sem_otime', 'sem_ctime', 'sem_nsems'],
        shmid_ds: [
          'shm_perm',
          'shm_segsz',
          'shm_atime',
          'shm_dtime',
          'shm_ctime',
          'shm_cpid',
          'shm_lpid',
          'shm_nattch',
        ],
        sembuf: ['sem_num', 'sem_op', 'sem_flg'],
        mq_attr: ['mq_flags', 'mq_maxmsg', 'mq_msgsize', 'mq_curmsgs'],
      } as const;
      for (const [name, fields] of Object.entries(publicFields)) {
        expect(fieldNames(STRUCTS[name as keyof typeof publicFields]), name).toEqual(
          expect.arrayContaining([...fields]),
        );
      }
    });
  },
);

// src/ipc/errno.ts writes out node:os's table (so that no command loads node:os to start):
// the same names, the same numbers.
it('the errno table is os.constants.errno', () => {
  expect(ERRNO).toEqual(constants.errno);
});
