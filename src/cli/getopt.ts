// glibc getopt_long, for the util-linux drop-ins: same parsing (clustering, abbreviations,
// permutation, `--`), same diagnostics, word for word, prefixed by the program name.
// The other subcommands use commander; these three must fail exactly like util-linux.

export interface LongOption {
  name: string;
  /** 'none', 'required' (--x=V or --x V), 'optional' (--x=V only). */
  arg: 'none' | 'required' | 'optional';
  /** The short letter (or any key) reported for it. */
  key: string;
  /**
   * Added after the release a drop-in copies (a later util-linux's option, or svipc's own): an
   * abbreviation that matches an option without this mark is resolved among those alone, so
   * the older release's answers (and its ambiguity messages) stay; only an abbreviation none
   * of them matches is looked up among the later ones. The full name always works.
   */
  later?: boolean;
}

export interface ParsedOption {
  key: string;
  value?: string;
}

export class GetoptError extends Error {
  constructor(readonly diagnostic: string) {
    super(diagnostic);
    this.name = 'GetoptError';
  }
}

interface ShortSpec {
  [letter: string]: 'none' | 'required' | 'optional';
}

function parseShort(optstring: string): { spec: ShortSpec; posixly: boolean } {
  const spec: ShortSpec = {};
  let posixly = false;
  let s = optstring;
  if (s.startsWith('+')) {
    posixly = true;
    s = s.slice(1);
  }
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (s[i + 1] === ':' && s[i + 2] === ':') {
      spec[c] = 'optional';
      i += 2;
    } else if (s[i + 1] === ':') {
      spec[c] = 'required';
      i += 1;
    } else spec[c] = 'none';
  }
  return { spec, posixly };
}

/**
 * Walk `args` (argv without the program name) the way getopt_long does, one option at a
 * time, so a caller can act on each before a later bad one stops it (util-linux does).
 * Non-options are permuted into `operands` (GNU order) unless optstring starts with '+';
 * `operands` is complete once the iteration ends.
 * Throws GetoptError with glibc's message ("PROG: invalid option -- 'x'").
 */
export function* getoptLong(
  prog: string,
  args: readonly string[],
  optstring: string,
  longopts: readonly LongOption[],
  operands: string[],
): Generator<ParsedOption, void, void> {
  const { spec, posixly } = parseShort(optstring);
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      return;
    }
    if (!a.startsWith('-') || a === '-') {
      if (posixly) {
        operands.push(...args.slice(i));
        return;
      }
      operands.push(a);
      i++;
      continue;
    }
    // In a cluster like -bx, -b is acted on before x is found invalid: yield what parsed.
    const found: ParsedOption[] = [];
    let error: GetoptError | undefined;
    try {
      i = a.startsWith('--')
        ? parseLong(prog, args, i, longopts, found)
        : parseCluster(prog, args, i, spec, found);
    } catch (e) {
      if (!(e instanceof GetoptError)) throw e;
      error = e;
    }
    yield* found;
    if (error) throw error;
  }
}

/** All options at once, for callers that need no interleaving. */
export function getoptAll(
  prog: string,
  args: readonly string[],
  optstring: string,
  longopts: readonly LongOption[],
): { options: ParsedOption[]; operands: string[] } {
  const operands: string[] = [];
  const options = [...getoptLong(prog, args, optstring, longopts, operands)];
  return { options, operands };
}

function parseLong(
  prog: string,
  args: readonly string[],
  i: number,
  longopts: readonly LongOption[],
  out: ParsedOption[],
): number {
  const a = args[i]!;
  const eq = a.indexOf('=');
  const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
  const inline = eq === -1 ? undefined : a.slice(eq + 1);
  // glibc prints what followed the dashes, '=value' included.
  const text = a.slice(2);
  let match = longopts.find((o) => o.name === name);
  if (!match) {
    const prefixed = longopts.filter((o) => o.name.startsWith(name));
    const older = prefixed.filter((o) => !o.later);
    const candidates = older.length > 0 ? older : prefixed;
    // As glibc: ambiguous when a later candidate differs from the first (another option, not
    // the same one under another name); the list is the first and those that differ.
    const first = candidates[0];
    const differ = candidates.filter(
      (c) => first !== undefined && (c.key !== first.key || c.arg !== first.arg),
    );
    if (first && differ.length > 0) {
      const list = [first, ...differ].map((c) => ` '--${c.name}'`).join('');
      throw new GetoptError(`${prog}: option '--${text}' is ambiguous; possibilities:${list}`);
    }
    match = first;
  }
  if (!match) throw new GetoptError(`${prog}: unrecognized option '--${text}'`);
  if (match.arg === 'none') {
    if (inline !== undefined)
      throw new GetoptError(`${prog}: option '--${match.name}' doesn't allow an argument`);
    out.push({ key: match.key });
    return i + 1;
  }
  if (inline !== undefined) {
    out.push({ key: match.key, value: inline });
    return i + 1;
  }
  if (match.arg === 'optional') {
    out.push({ key: match.key });
    return i + 1;
  }
  if (i + 1 >= args.length) throw new GetoptError(`${prog}: option '--${match.name}' requires an argument`);
  out.push({ key: match.key, value: args[i + 1]! });
  return i + 2;
}

function parseCluster(
  prog: string,
  args: readonly string[],
  i: number,
  spec: ShortSpec,
  out: ParsedOption[],
): number {
  const a = args[i]!;
  for (let j = 1; j < a.length; j++) {
    const c = a[j]!;
    const kind = spec[c];
    if (kind === undefined || c === ':') throw new GetoptError(`${prog}: invalid option -- '${c}'`);
    if (kind === 'none') {
      out.push({ key: c });
      continue;
    }
    const rest = a.slice(j + 1);
    if (rest.length > 0) {
      out.push({ key: c, value: rest });
      return i + 1;
    }
    if (kind === 'optional') {
      out.push({ key: c });
      return i + 1;
    }
    if (i + 1 >= args.length) throw new GetoptError(`${prog}: option requires an argument -- '${c}'`);
    out.push({ key: c, value: args[i + 1]! });
    return i + 2;
  }
  return i + 1;
}
