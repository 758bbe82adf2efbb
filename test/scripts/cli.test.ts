import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/backend/errors.js';
import { parseCli, parseList, parseSeeds } from '../../scripts/lib/cli.js';

const spec = (defaults: { n: number; flag: boolean }) => ({
  name: 'x.ts',
  description: 'test',
  defaults,
  options: { n: { type: 'number', help: 'n' }, flag: { type: 'boolean', help: 'flag' } },
} as const);

describe('parseCli', () => {
  it('reads numbers and flags over the defaults', () => {
    expect(parseCli(spec({ n: 1, flag: false }), [])).toEqual({ n: 1, flag: false });
    expect(parseCli(spec({ n: 1, flag: false }), ['--n', '2.5', '--flag'])).toEqual({ n: 2.5, flag: true });
  });
  it('refuses a non-number and an unknown flag, naming them', () => {
    expect(() => parseCli(spec({ n: 1, flag: false }), ['--n', 'two'])).toThrow(/--n.*"two"/);
    expect(() => parseCli(spec({ n: 1, flag: false }), ['--m', '2'])).toThrow(OptionError);
  });
  it('refuses a spec whose boolean defaults to true (a flag could never turn it off)', () => {
    expect(() => parseCli(spec({ n: 1, flag: true as unknown as false }), [])).toThrow(/--flag.*default to false/);
  });
});

describe('parseSeeds and parseList', () => {
  it('parses seeds and lists, rejecting bad ones by option name', () => {
    expect(parseSeeds('0, 1,2')).toEqual([0, 1, 2]);
    expect(parseSeeds(3)).toEqual([3]);
    expect(() => parseSeeds('1,x')).toThrow(OptionError);
    expect(() => parseSeeds('1,1')).toThrow(/distinct/);
    expect(parseList('--v', 'a,b', ['a', 'b', 'c'])).toEqual(['a', 'b']);
    expect(() => parseList('--v', 'a,d', ['a', 'b'])).toThrow(/--v/);
  });
});
