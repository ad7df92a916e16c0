import * as fs from 'fs';
import * as path from 'path';
import { addHandFiles, outputSets, sha, snapshot, tmpDir, write } from './helpers';
import { recoverOutput, verifyOwnedFiles } from '../../../src/gitops/writer';
import { decodeJournal, encodeJournal, Journal } from '../../../src/gitops/writer/journal';

const JOURNAL: Journal = {
  formatVersion: 2,
  txid: 'abc-1-00ff',
  deletes: [{ path: 'old.yaml', sha256: sha('old\n') }],
  writes: [{ path: 'rendered/dev/a.yaml', staged: '000000.staged', sha256: sha('a\n') }],
  manifest: { staged: 'manifest.staged', sha256: sha('{}\n') },
};

describe('journal encoding', () => {
  test('round-trips and ends with a commit trailer over the body', () => {
    const text = encodeJournal(JOURNAL);
    expect(text).toMatch(/\ncommit sha256:[0-9a-f]{64}\n$/);
    expect(decodeJournal(text)).toEqual({ state: 'complete', journal: JOURNAL });
  });

  test('every truncation is recognised as torn', () => {
    const text = encodeJournal(JOURNAL);
    for (let len = 0; len < text.length; len++) {
      expect(decodeJournal(text.slice(0, len)).state).toBe('torn');
    }
  });

  test('a changed byte in the body is recognised as torn', () => {
    const text = encodeJournal(JOURNAL).replace('old.yaml', 'olx.yaml');
    expect(decodeJournal(text).state).toBe('torn');
  });

  test('a journal with a valid checksum but an unsafe path is refused', () => {
    const text = encodeJournal({ ...JOURNAL, deletes: [{ path: '../escape', sha256: sha('') }] });
    expect(() => decodeJournal(text)).toThrow(/"\.\." segments/);
  });
});

describe('recovery from the journal on disk', () => {
  function crashAfterCommit(): { outdir: string; oldTree: ReturnType<typeof snapshot>; newTree: ReturnType<typeof snapshot> } {
    const { old, next } = outputSets(9);
    const outdir = tmpDir();
    const reference = tmpDir();
    for (const d of [outdir, reference]) {
      addHandFiles(d);
      write(d, old);
    }
    const oldTree = snapshot(reference);
    write(reference, next);
    const newTree = snapshot(reference);
    expect(() => write(outdir, next, {
      faultHook: s => {
        if (s === 'journal-committed') throw new Error('crash');
      },
    })).toThrow('crash');
    return { outdir, oldTree, newTree };
  }

  test('a torn journal means "not committed": staging discarded, previous set kept', () => {
    const { outdir, oldTree } = crashAfterCommit();
    const journalPath = path.join(outdir, '.cdk8s-stateful/journal');
    const text = fs.readFileSync(journalPath, 'utf8');
    fs.writeFileSync(journalPath, text.slice(0, Math.floor(text.length / 2)));
    expect(verifyOwnedFiles(outdir).interrupted).toBe(true);
    expect(recoverOutput(outdir)).toMatchObject({ action: 'discarded-staging', tornJournal: true, stagingRemoved: [expect.any(String)] });
    expect(snapshot(outdir)).toEqual(oldTree);
  });

  test('a complete journal is rolled forward, and rolling forward twice is harmless', () => {
    const { outdir, newTree } = crashAfterCommit();
    const journalText = fs.readFileSync(path.join(outdir, '.cdk8s-stateful/journal'), 'utf8');
    expect(recoverOutput(outdir)).toMatchObject({ action: 'rolled-forward', tornJournal: false });
    expect(snapshot(outdir)).toEqual(newTree);
    // replay the same journal over the finished result (every op finds its work done)
    fs.writeFileSync(path.join(outdir, '.cdk8s-stateful/journal'), journalText);
    expect(recoverOutput(outdir)).toMatchObject({ action: 'rolled-forward' });
    expect(snapshot(outdir)).toEqual(newTree);
    expect(recoverOutput(outdir)).toBeUndefined();
  });

  test('roll-forward keeps a file edited by hand after the commit instead of deleting it', () => {
    const { outdir } = crashAfterCommit();
    const victim = 'rendered/retired/data/ConfigMap.cm-2.yaml'; // deleted by the new set
    fs.writeFileSync(path.join(outdir, victim), 'edited after the crash\n');
    recoverOutput(outdir);
    expect(fs.readFileSync(path.join(outdir, victim), 'utf8')).toBe('edited after the crash\n');
  });

  test('a committed journal whose staged file vanished is rolled back, saying why, not guessed', () => {
    const { outdir, oldTree } = crashAfterCommit();
    const staging = path.join(outdir, '.cdk8s-stateful/staging');
    const tx = fs.readdirSync(staging)[0];
    fs.rmSync(path.join(staging, tx, '000000.staged'));
    expect(recoverOutput(outdir)).toMatchObject({ action: 'rolled-back', reason: expect.stringMatching(/staged copy of .* is missing/) });
    expect(snapshot(outdir)).toEqual(oldTree);
  });

  test('a committed journal whose staged file is damaged is rolled back, saying why', () => {
    const { outdir, oldTree } = crashAfterCommit();
    const staging = path.join(outdir, '.cdk8s-stateful/staging');
    const tx = fs.readdirSync(staging)[0];
    fs.appendFileSync(path.join(staging, tx, '000000.staged'), 'garbage');
    expect(recoverOutput(outdir)).toMatchObject({ action: 'rolled-back', reason: expect.stringMatching(/staged copy of .* is damaged/) });
    expect(snapshot(outdir)).toEqual(oldTree);
  });

  test('recoverOutput creates nothing where the library never wrote', () => {
    const outdir = tmpDir();
    expect(recoverOutput(outdir)).toBeUndefined();
    expect(recoverOutput(path.join(outdir, 'missing'))).toBeUndefined();
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});
