// File-name arguments as bytes: text that decoded cleanly passes as is; text with U+FFFD is
// found among the raw arguments, or refused (never replaced by another name).
import { describe, expect, test } from 'vitest';
import { pathArg, showPath } from '../../src/cli/argv-bytes.js';
import { UsageError } from '../../src/cli/exit.js';

describe('pathArg', () => {
  test('valid UTF-8 text is returned unchanged', () => {
    expect(pathArg('/tmp/café')).toBe('/tmp/café');
  });
  test('text with U+FFFD that is no argument of this process: a usage error, not another name', () => {
    expect(() => pathArg('/tmp/caf\uFFFD-not-an-argument', '--path')).toThrow(UsageError);
    expect(() => pathArg('/tmp/caf\uFFFD-not-an-argument', '--path')).toThrow(/--path is not valid UTF-8/);
  });
});

describe('showPath', () => {
  test('text as is; invalid bytes as \\xNN, valid multi-byte characters kept', () => {
    expect(showPath('/tmp/a')).toBe('/tmp/a');
    expect(showPath(Buffer.from([0x2f, 0x63, 0x61, 0x66, 0xe9]))).toBe('/caf\\xe9');
    expect(showPath(Buffer.from('/café'))).toBe('/café');
    expect(showPath(Buffer.from([0x78, 0xff, 0xc3, 0xa9]))).toBe('x\\xffé');
  });
});
