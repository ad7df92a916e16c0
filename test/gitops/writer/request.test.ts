import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS, file, tmpDir, write } from './helpers';
import { WriterError } from '../../../src/gitops/writer';

function invalid(fn: () => unknown): WriterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WriterError);
    expect((e as WriterError).code).toBe('INVALID_OUTPUT');
    return e as WriterError;
  }
  throw new Error('expected an INVALID_OUTPUT error');
}

describe('path safety', () => {
  test.each([
    ['/etc/passwd', /relative/],
    ['C:/x.yaml', /relative/],
    ['../outside.yaml', /"\.\." segments/],
    ['a/../../outside.yaml', /"\.\." segments/],
    ['a\\b.yaml', /backslash/],
    ['a//b.yaml', /empty path segment/],
    ['a/', /empty path segment/],
    ['', /non-empty/],
    ['./a.yaml', /"\." segments/],
    ['.cdk8s-stateful/manifest.json', /reserved/],
    ['.cdk8s-stateful/staging/x.yaml', /reserved/],
    ['.cdk8s-stateful', /reserved/],
    ['.git/config', /Git/],
    ['a\0b', /NUL/],
  ])('rejects %j and writes nothing', (p, why) => {
    const outdir = path.join(tmpDir(), 'out');
    const error = invalid(() => write(outdir, [file('ok.yaml'), file(p)]));
    expect(error.message).toMatch(why);
    expect(error.message).toContain(JSON.stringify(p));
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('rejects duplicates, case-only differences and a file used as a folder', () => {
    const outdir = tmpDir();
    expect(invalid(() => write(outdir, [file('a.yaml'), file('a.yaml')])).message).toMatch(/duplicate output path a\.yaml/);
    expect(invalid(() => write(outdir, [file('A.yaml'), file('a.yaml')])).message).toMatch(/differ only in case/);
    expect(invalid(() => write(outdir, [file('x/y'), file('x/y/z.yaml')])).message).toMatch(/x\/y is a file but x\/y\/z\.yaml needs it/);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});

describe('content', () => {
  test.each([
    ['no trailing newline', 'kind: ConfigMap', /must end with a newline/],
    ['CRLF line endings', 'kind: ConfigMap\r\nmetadata: {}\r\n', /CRLF/],
    ['empty content', '', /must end with a newline/],
  ])('rejects %s', (_name, content, why) => {
    const outdir = tmpDir();
    expect(invalid(() => write(outdir, [file('a.yaml', content)])).message).toMatch(why);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});

describe('request', () => {
  test('rejects a missing library version and duplicate or incomplete environments', () => {
    const outdir = tmpDir();
    expect(invalid(() => write(outdir, [], { libraryVersion: '' })).message).toMatch(/libraryVersion/);
    expect(invalid(() => write(outdir, [], { environments: [ENVIRONMENTS[0], ENVIRONMENTS[0]] })).message).toMatch(/listed twice/);
    expect(invalid(() => write(outdir, [], { environments: [{ ...ENVIRONMENTS[0], cluster: '' }] })).message).toMatch(/cluster must be/);
  });
});
