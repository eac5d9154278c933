// The parity harness of the ipcmk/ipcrm suites: run a list of cases three ways, each case in
// its own fresh IPC namespace (ids are then deterministic), and collect stdout, stderr, exit
// code and the resulting /proc/sysvipc state of each:
//   util-linux  /usr/bin/ipcmk|ipcrm, argv[0] set to the bare name (as a PATH lookup gives)
//   svipc       bin/svipc ipcmk|ipcrm
//   link        ipcmk|ipcrm found first on PATH in $SVIPC_LINKS (links to bin/svipc)
// A case is bash: `setup` (its output is dropped), then `cmd`, where `ipcmk` and `ipcrm` are
// functions that call the variant under test; `mk` makes objects with chosen keys (see
// test/peers/mkipc.c) and `state` prints the namespace's objects. The case loop and its
// readers (caseFunctions, caseLoop, caseOutputs), nobodyFunction and sysvStateLines serve the
// POSIX ipcmk/ipcrm suite (ipcmk-posix.test.ts) too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildPeer, canUnshare, hasCompiler, inNamespace, UNSHARE_SKIP_REASON } from '../helpers/run.js';

export type Variant = 'util-linux' | 'svipc' | 'link';
export const VARIANTS: readonly Variant[] = ['util-linux', 'svipc', 'link'];

export interface Case {
  name: string;
  /** bash run first, in the case's namespace; its output is discarded. */
  setup?: string;
  /** bash whose stdout, stderr and exit status are compared. */
  cmd: string;
  /** Compare keys in the state too (objects made with chosen keys only; ipcmk's are random). */
  keys?: boolean;
}

export interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
  state: string;
}

const TOOLS = ['ipcmk', 'ipcrm'] as const;
const SOH = '\u0001';

function defineTools(variant: Variant): string {
  return TOOLS.map((t) => {
    if (variant === 'util-linux') return `${t}() { (exec -a ${t} /usr/bin/${t} "$@"); }`;
    if (variant === 'svipc') return `${t}() { "$SVIPC" ${t} "$@"; }`;
    return `${t}() { (PATH="$SVIPC_LINKS:$PATH"; exec ${t} "$@"); }`;
  }).join('\n');
}

/** Where a field stands in /proc/sysvipc/shm, msg and sem (awk's $N). */
const PROC_SYSVIPC_COLUMNS = {
  shm: { key: 1, id: 2, perms: 3, size: 4, nattch: 7, uid: 8 },
  msg: { key: 1, id: 2, perms: 3, qnum: 5, uid: 8 },
  sem: { key: 1, id: 2, perms: 3, nsems: 4, uid: 5 },
} as const;
type Fields<K extends keyof typeof PROC_SYSVIPC_COLUMNS> =
  readonly (keyof (typeof PROC_SYSVIPC_COLUMNS)[K])[];

/**
 * bash lines printing each System V object of the namespace, one line each: `shm FIELD=value
 * ...` with the fields asked for each kind, in that order (segments, then queues, then sets).
 */
export function sysvStateLines(fields: {
  shm: Fields<'shm'>;
  msg: Fields<'msg'>;
  sem: Fields<'sem'>;
}): string {
  const line = <K extends keyof typeof PROC_SYSVIPC_COLUMNS>(kind: K, names: Fields<K>) => {
    const columns: Record<string, number> = PROC_SYSVIPC_COLUMNS[kind];
    const printed = names.map(
      (f, i) => `"${i === 0 ? `${kind} ` : ' '}${String(f)}=" $${columns[String(f)]}`,
    );
    return `  awk 'NR>1 {print ${printed.join(' ')}}' /proc/sysvipc/${kind}`;
  };
  return [line('shm', fields.shm), line('msg', fields.msg), line('sem', fields.sem)].join('\n');
}

const STATE = `state() {
${sysvStateLines({
  shm: ['id', 'key', 'perms', 'size', 'nattch', 'uid'],
  msg: ['id', 'key', 'perms', 'qnum', 'uid'],
  sem: ['id', 'key', 'perms', 'nsems', 'uid'],
})}
}`;

/**
 * bash: `nobody CMD...` runs a case's command as uid/gid 65534, through the helpers' `runas`
 * (the world-readable copy of svipc and of the peers), the bash `functions` (names) along.
 */
export function nobodyFunction(functions: string): string {
  return String.raw`nobody() {
  runas 65534:65534 bash -c "$(declare -f ${functions}); \"\$@\"" nobody "$@"
}`;
}

/** bash functions case_0 ... case_N: each runs its case's `setup` (output dropped), then `cmd`. */
export function caseFunctions(cases: readonly { setup?: string; cmd: string }[]): string[] {
  return cases.map((c, i) => `case_${i}() {\n  { ${c.setup ?? ':'}\n  } >/dev/null 2>&1\n  ${c.cmd}\n}`);
}

/**
 * bash: for each of `count` cases, `runOne` (bash, $i the case's number) leaves the case's out,
 * err, rc and state in the folder `dir`; each is printed framed for caseOutputs to read.
 */
export function caseLoop(dir: string, count: number, runOne: string): string {
  return `D=${dir}
for i in $(seq 0 ${count - 1}); do
  ${runOne}
  printf '\\001case %s\\n' "$i"
  for f in out err rc state; do printf '\\001%s\\n' "$f"; cat "$D/$f"; done
done`;
}

/**
 * What caseLoop printed: each case's out, err, rc (a number) and state; unless there are
 * `count`, throws "`what`N results for M cases".
 */
export function caseOutputs(
  stdout: string,
  count: number,
  what = '',
): { out: string; err: string; rc: number; state: string }[] {
  const outcomes = stdout
    .split(`${SOH}case `)
    .slice(1)
    .map((block) => {
      // After the case number, SOH-led sections: "out\n...", "err\n...", "rc\n...", "state\n...".
      const sections = new Map<string, string>();
      for (const part of block.split(SOH).slice(1)) {
        const nl = part.indexOf('\n');
        sections.set(part.slice(0, nl), part.slice(nl + 1));
      }
      const get = (name: string) => sections.get(name) ?? '';
      return { out: get('out'), err: get('err'), rc: Number(get('rc').trim()), state: get('state') };
    });
  if (outcomes.length !== count) throw new Error(`${what}${outcomes.length} results for ${count} cases`);
  return outcomes;
}

function mkFunction(mkipc: string | null): string {
  // By $SVIPC_ROOT, which `runas` points at the world-readable copy (buildPeer put it there).
  if (mkipc) return 'mk() { "$SVIPC_ROOT/test/peers/bin/mkipc" "$@"; }';
  // Without a compiler: svipc's own ipcmk -k makes the objects (attach is not available).
  return [
    'mk() {',
    '  local w kind key a b',
    '  for w in "$@"; do',
    '    IFS=: read -r kind key a b <<< "$w"',
    '    case "$kind" in',
    '      shm) "$SVIPC" ipcmk -k "$key" -M "$a" -p "$b" ;;',
    '      msg) "$SVIPC" ipcmk -k "$key" -Q -p "$a" ;;',
    '      sem) "$SVIPC" ipcmk -k "$key" -S "$a" -p "$b" ;;',
    '      *) echo "mk: $w needs test/peers/mkipc (no cc)" >&2; return 1 ;;',
    '    esac >/dev/null || return 1',
    '  done',
    '}',
  ].join('\n');
}

let mkipcPath: string | null | undefined;
function mkipc(): string | null {
  if (mkipcPath === undefined) mkipcPath = hasCompiler() ? buildPeer('mkipc') : null;
  return mkipcPath;
}

/** Run every case with one variant; one outer namespace, one fresh inner namespace per case. */
export async function runCases(cases: readonly Case[], variant: Variant): Promise<Outcome[]> {
  const dir = mkdtempSync(join(tmpdir(), `svipc-parity-${variant}-`));
  try {
    const lib = [defineTools(variant), STATE, mkFunction(mkipc()), nobodyFunction('ipcmk ipcrm mk state')];
    writeFileSync(join(dir, 'lib.sh'), `${[...lib, ...caseFunctions(cases)].join('\n')}\n`);
    const script = caseLoop(
      dir,
      cases.length,
      'unshare --ipc bash -c ". $D/lib.sh; case_$i >$D/out 2>$D/err; echo \\$? >$D/rc; state >$D/state"',
    );
    const r = await inNamespace(script, { timeoutMs: 300_000 }); // a loaded 2-core machine needs ~200 s
    if (r.code !== 0) throw new Error(`parity script (${variant}) failed: ${r.code}\n${r.stderr}`);
    return caseOutputs(r.stdout, cases.length, `parity script (${variant}): `).map((o) => ({
      stdout: o.out,
      stderr: o.err,
      code: o.rc,
      state: o.state,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What is compared: the key column is masked unless the case's keys are chosen. */
export function comparable(c: Case, o: Outcome): Outcome {
  return c.keys ? o : { ...o, state: o.state.replace(/ key=-?\d+/g, ' key=*') };
}

/** All three variants of every case, run concurrently (three outer namespaces). */
export async function runAllVariants(cases: readonly Case[]): Promise<Record<Variant, Outcome[]>> {
  const [u, s, l] = await Promise.all(VARIANTS.map((v) => runCases(cases, v)));
  return { 'util-linux': u!, svipc: s!, link: l! };
}

/**
 * The parity suite of `tool` (ipcmk, ipcrm): every case run the three ways, then each of svipc's
 * two compared with util-linux's. `checks` adds the suite's own tests first, reading the outcomes
 * through `results()`; `note` ends the count line it prints.
 */
export function describeParity(
  tool: string,
  cases: readonly Case[],
  checks: (results: () => Record<Variant, Outcome[]>) => void,
  note = '',
): void {
  const RUN = canUnshare();
  describe.skipIf(!RUN)(
    RUN ? `${tool} parity with util-linux 2.38.1` : `${tool} parity: ${UNSHARE_SKIP_REASON}`,
    () => {
      let results: Record<Variant, Outcome[]>;
      beforeAll(async () => {
        results = await runAllVariants(cases);
      }, 300_000);
      afterAll(() => {
        console.log(
          `${tool} parity: ${cases.length} cases x 2 ways (svipc ${tool}, ${tool} link) = ${2 * cases.length} comparisons with /usr/bin/${tool}${note}`,
        );
      });

      checks(() => results);

      for (const variant of ['svipc', 'link'] as const) {
        test.each(cases.map((x, i) => [x.name, i] as const))(`${variant}: ${tool} %s`, (_name, i) => {
          const cs = cases[i]!;
          expect(comparable(cs, results[variant][i]!)).toEqual(comparable(cs, results['util-linux'][i]!));
        });
      }
    },
  );
}
