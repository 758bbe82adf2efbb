/**
 * DataBunch.fromBids on a small BIDS tree built in a temp folder from the IXI T1 volumes in
 * ../shared/data/ixi-t1-2mm (symlinks; nothing is copied into the repository).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, OptionError } from '../../src/backend/errors.js';
import { bidsEntities, bidsRows } from '../../src/data/bids.js';
import { DataBunch } from '../../src/data/databunch/databunch.js';
import { SHARED_DATA } from '../helpers/shared-data.js';

const IXI = resolve(SHARED_DATA, 'ixi-t1-2mm', 't1');
const haveIxi = existsSync(IXI);
if (!haveIxi) console.warn(`bids.test: skipped, IXI volumes not found in ${IXI} (set TRANSMRI_DATA to the folder holding ixi-t1-2mm)`);

let root = '';
function link(scan: string, dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(IXI, scan), join(dir, name));
}

beforeAll(() => {
  if (!haveIxi) return;
  const scans = readdirSync(IXI).filter((f) => f.endsWith('.nii.gz')).sort().slice(0, 7);
  root = mkdtempSync(join(tmpdir(), 'transmri-bids-'));
  // sub-01..03: two sessions each (sub-01/ses-1 holds two acquisitions); sub-04..06: no sessions; sub-07: no anat image
  for (let s = 1; s <= 3; s++) {
    for (const ses of ['1', '2']) link(scans[s - 1], join(root, `sub-0${s}`, `ses-${ses}`, 'anat'), `sub-0${s}_ses-${ses}_acq-mprage_T1w.nii.gz`);
  }
  link(scans[6], join(root, 'sub-01', 'ses-1', 'anat'), 'sub-01_ses-1_acq-spgr_T1w.nii.gz');
  for (let s = 4; s <= 6; s++) link(scans[s - 1], join(root, `sub-0${s}`, 'anat'), `sub-0${s}_acq-mprage_T1w.nii.gz`);
  mkdirSync(join(root, 'sub-07', 'func'), { recursive: true });
  writeFileSync(
    join(root, 'participants.tsv'),
    ['participant_id\tage\tsex\tgroup', 'sub-01\t60.5\tF\tpatient', 'sub-02\t41\tM\tcontrol', '03\tn/a\tF\tpatient', 'sub-04\t35\tM\tcontrol', 'sub-05\t52\tF\tn/a', 'sub-06\t70\tM\tpatient', 'sub-07\t30\tF\tcontrol', ''].join('\n'),
  );
  // a session's value wins: sub-01 was 60.5 at ses-1 and 62.5 at ses-2, and a control at ses-2 (made up, to test the precedence)
  writeFileSync(join(root, 'sub-01', 'sub-01_sessions.tsv'), 'session_id\tage\tgroup\nses-1\t60.5\tn/a\nses-2\t62.5\tcontrol\n');
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('BIDS names', () => {
  it('parses entities and the suffix', () => {
    expect(bidsEntities('sub-01_ses-M00_acq-mprage_run-2_T1w.nii.gz')).toEqual({ entities: { sub: '01', ses: 'M00', acq: 'mprage', run: '2' }, suffix: 'T1w' });
    expect(bidsEntities('/x/sub-01_T2w.nii')).toEqual({ entities: { sub: '01' }, suffix: 'T2w' });
  });
});

describe.skipIf(!haveIxi)('DataBunch.fromBids on IXI volumes', () => {
  it('reads subjects, sessions, labels and covariates (sessions.tsv wins), filters by acquisition', async () => {
    const warnings: string[] = [];
    const rows = await bidsRows(root, { label: 'group', acquisition: 'mprage' }, (w) => warnings.push(w));
    // sub-05 has group n/a → dropped; sub-07 has no anat → skipped; sub-01 ses-1 has group n/a in sessions.tsv → participants.tsv's patient
    expect(rows.map((r) => [r.id, r.subject, r.session, r.label, r.age, r.sex])).toEqual([
      ['sub-01/ses-1/anat/sub-01_ses-1_acq-mprage_T1w.nii.gz', 'sub-01', 'ses-1', 'patient', 60.5, 'F'],
      ['sub-01/ses-2/anat/sub-01_ses-2_acq-mprage_T1w.nii.gz', 'sub-01', 'ses-2', 'control', 62.5, 'F'],
      ['sub-02/ses-1/anat/sub-02_ses-1_acq-mprage_T1w.nii.gz', 'sub-02', 'ses-1', 'control', 41, 'M'],
      ['sub-02/ses-2/anat/sub-02_ses-2_acq-mprage_T1w.nii.gz', 'sub-02', 'ses-2', 'control', 41, 'M'],
      ['sub-03/ses-1/anat/sub-03_ses-1_acq-mprage_T1w.nii.gz', 'sub-03', 'ses-1', 'patient', undefined, 'F'],
      ['sub-03/ses-2/anat/sub-03_ses-2_acq-mprage_T1w.nii.gz', 'sub-03', 'ses-2', 'patient', undefined, 'F'],
      ['sub-04/anat/sub-04_acq-mprage_T1w.nii.gz', 'sub-04', undefined, 'control', 35, 'M'],
      ['sub-06/anat/sub-06_acq-mprage_T1w.nii.gz', 'sub-06', undefined, 'patient', 70, 'M'],
    ]);
    expect(warnings).toEqual([
      `BIDS ${root}: no T1w image with acq-mprage for sub-07; skipped`,
      `BIDS ${root}: no "group" value (empty or n/a) for sub-05; skipped (unlabelled: 'keep' keeps them)`,
    ]);
    const kept = await bidsRows(root, { label: 'group', acquisition: 'mprage', unlabelled: 'keep', sessions: ['2'], labels: { patient: 'P', control: 'C' } });
    expect(kept.map((r) => [r.subject, r.label])).toEqual([['sub-01', 'C'], ['sub-02', 'C'], ['sub-03', 'P'], ['sub-04', 'C'], ['sub-05', null], ['sub-06', 'P']]);
  });

  it('builds a DataBunch whose splits keep a subject\'s sessions together and whose batches read the volumes', async () => {
    const bunch = await DataBunch.fromBids(root, {
      label: 'group',
      acquisition: 'mprage',
      pipeline: { steps: [{ op: 'zScore', nonzero: true }] },
      split: { valid: 0.25, test: 0.25, seed: 0 },
      cacheDir: join(root, '..', `${root.split(/[/\\]/).pop()}-cache`),
      onWarning: () => {},
    });
    try {
      expect(bunch.classes).toEqual(['control', 'patient']);
      const splitOf = new Map<string, string>();
      for (const split of ['train', 'valid', 'test'] as const) {
        for (const id of bunch.splitIds(split)) {
          const subject = id.split('/')[0];
          expect(splitOf.get(subject) ?? split, `${subject} on two sides`).toBe(split);
          splitOf.set(subject, split);
        }
      }
      expect(splitOf.size).toBe(5); // sub-05 (no label) dropped, sub-07 (no image) skipped
      const batch = (await bunch.batches('train', { batchSize: 2, shuffle: false, augment: false })[Symbol.asyncIterator]().next()).value;
      expect(batch.x.shape.slice(1)).toEqual(bunch.volumeShape);
      expect(batch.x.shape[0]).toBeGreaterThan(0);
    } finally {
      rmSync(join(root, '..', `${root.split(/[/\\]/).pop()}-cache`), { recursive: true, force: true });
    }
  });

  it('typed errors: several images, missing label column, missing participants.tsv, missing root, bad options', async () => {
    await expect(bidsRows(root, { label: 'group' })).rejects.toThrow(
      new DataError(`2 images match suffix T1w: sub-01_ses-1_acq-mprage_T1w.nii.gz, sub-01_ses-1_acq-spgr_T1w.nii.gz (choose with the acquisition or run option, or multiple: 'first' | 'all')`, { file: join(root, 'sub-01', 'ses-1', 'anat') }),
    );
    // no label option: every image; 3 subjects x 2 sessions + sub-01's second acquisition + sub-04..06 = 6 + 1 + 3
    expect((await bidsRows(root, { multiple: 'all' })).length).toBe(10);
    await expect(bidsRows(root, { label: 'diagnosis', acquisition: 'mprage' })).rejects.toThrow(/participants\.tsv column diagnosis: label column "diagnosis" is in neither participants\.tsv nor any sessions\.tsv \(columns: participant_id, age, sex, group\)/);
    const noTsv = mkdtempSync(join(tmpdir(), 'transmri-bids-bare-'));
    try {
      link(readdirSync(IXI).filter((f) => f.endsWith('.nii.gz'))[0], join(noTsv, 'sub-01', 'anat'), 'sub-01_T1w.nii.gz');
      expect((await bidsRows(noTsv)).map((r) => [r.subject, r.label])).toEqual([['sub-01', null]]);
      await expect(bidsRows(noTsv, { label: 'group' })).rejects.toThrow(`${join(noTsv, 'participants.tsv')}: participants.tsv not found (needed for the label column "group")`);
      await expect(bidsRows(noTsv, { suffix: 'T2w' })).rejects.toThrow(/no images left: 1 subject\/session folders without a T2w image/);
    } finally {
      rmSync(noTsv, { recursive: true, force: true });
    }
    await expect(bidsRows(join(root, 'nope'))).rejects.toThrow(/nope: BIDS root not found/);
    await expect(bidsRows(join(root, 'sub-01'))).rejects.toThrow(/no sub-\* folders: not a BIDS dataset root/);
    await expect(bidsRows(root, { multiple: 'any' as never })).rejects.toThrow(OptionError);
    await expect(bidsRows(root, { acq: 'x' } as never)).rejects.toThrow(/BidsSourceOptions\.acq: unknown option/);
  });
});
