/**
 * The synthetic cohort: a deterministic, seeded set of brain phantoms with two
 * classes (control / disease), several sessions per subject and two scanner sites.
 * It is the embedded default dataset: the demo and the tests use it, no download needed.
 */
import { OptionError } from '../../backend/errors.js';
import { Rng } from '../../backend/rng.js';
import { Volume, type Affine, type Shape3 } from '../volume.js';
import { checkShape, withDefaults } from '../ops/op-args.js';
import { drawAnatomy, sessionAnatomy, type SubjectTraits } from './anatomy.js';
import { renderPhantom, type SiteProfile } from './phantom.js';

/** The two default sites: A (bright, mild bias, low noise) and B (darker, more contrast, stronger bias, noisier). */
export const DEFAULT_SITES: readonly SiteProfile[] = [
  { name: 'A', scale: 1000, gamma: 1, noise: 0.02, biasAmplitude: 0.05, biasDirection: [0, 0, 1] },
  { name: 'B', scale: 700, gamma: 1.4, noise: 0.04, biasAmplitude: 0.15, biasDirection: [1, 1, 0] },
];

/** Options of {@link generateCohort}. */
export interface SyntheticCohortOptions {
  /** Seed of everything; default 0. Subject i's scans depend only on the seed, i and the class drawn for it. */
  seed?: number;
  /** Number of subjects; default 24. */
  subjects?: number;
  /** Sessions per subject (about a year apart); default 2. */
  sessions?: number;
  /** Grid shape; default [32, 32, 32]. */
  shape?: [number, number, number];
  /**
   * Isotropic voxel size in mm; default 192 mm / shape per axis (the phantom always fills a 192 mm
   * field of view, so 6 mm at 32³ and 3 mm at 64³).
   */
  spacing?: number;
  /** Names of the control and disease classes; default ['CN', 'AD']. */
  labels?: [string, string];
  /** Fraction of subjects with the disease (rounded); default 0.5. */
  diseaseFraction?: number;
  /** Range of the disease severity, uniform; default [0.5, 1]. */
  severity?: [number, number];
  /** Scanner sites; subjects are spread evenly over them within each class; default {@link DEFAULT_SITES}. */
  sites?: SiteProfile[];
}

/** Field of view of the phantoms, mm per axis. */
const FIELD_OF_VIEW_MM = 192;

/** The options with defaults filled in (`spacing` undefined means 192 mm / shape per axis). */
export type ResolvedSyntheticCohortOptions = Required<Omit<SyntheticCohortOptions, 'spacing'>> & { spacing: number | undefined };

/** Defaults of {@link SyntheticCohortOptions}. */
export const DEFAULT_SYNTHETIC_COHORT: ResolvedSyntheticCohortOptions = {
  seed: 0,
  subjects: 24,
  sessions: 2,
  shape: [32, 32, 32],
  spacing: undefined,
  labels: ['CN', 'AD'],
  diseaseFraction: 0.5,
  severity: [0.5, 1],
  sites: DEFAULT_SITES.map((s) => ({ ...s, biasDirection: [...s.biasDirection] as [number, number, number] })),
};

/** Ground truth behind a sample, for checks and demos (not written to the CSV). */
export interface SyntheticTruth {
  diseased: boolean;
  severity: number;
  ventricleScale: number;
  cortexThickness: number;
  /** Ventricle volume in ml (partial volumes summed). */
  ventricleVolumeMl: number;
}

/** One scan: the volume and its CSV metadata. */
export interface SyntheticSample {
  volume: Volume;
  label: string;
  /** e.g. `sub-007`. */
  subject: string;
  /** e.g. `ses-1`. */
  session: string;
  site: string;
  /** Age at this session in years, one decimal. */
  age: number;
  sex: 'F' | 'M';
  truth: SyntheticTruth;
}

/** What {@link generateCohort} returns. */
export interface SyntheticCohort {
  /** Subject-major, session-minor order. */
  samples: SyntheticSample[];
  /** The options used, defaults filled in. */
  options: ResolvedSyntheticCohortOptions;
}

/**
 * Generates the cohort in memory. Same options → bit-identical volumes.
 * @example
 * const { samples } = generateCohort({ seed: 1, subjects: 12 });
 * samples[0].volume.shape; // [32, 32, 32]
 */
export function generateCohort(options: SyntheticCohortOptions = {}): SyntheticCohort {
  const opts = withDefaults('SyntheticCohortOptions', options, DEFAULT_SYNTHETIC_COHORT);
  validate(opts);
  const shape = checkShape('SyntheticCohortOptions.shape', opts.shape);
  const root = new Rng(opts.seed);
  const nDisease = Math.round(opts.subjects * opts.diseaseFraction);
  // Class of each subject, shuffled; sites alternate within each class so every (class, site) cell is filled.
  const diseased = root.fork('labels').shuffle(Array.from({ length: opts.subjects }, (_, i) => i < nDisease));
  const seen = [0, 0];
  const siteOf = diseased.map((d) => opts.sites[seen[d ? 1 : 0]++ % opts.sites.length]);
  const spacing = shape.map((n) => opts.spacing ?? FIELD_OF_VIEW_MM / n) as [number, number, number];
  const affine = centredAffine(shape, spacing);
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const width = String(opts.subjects).length < 3 ? 3 : String(opts.subjects).length;
  const samples: SyntheticSample[] = [];
  for (let s = 0; s < opts.subjects; s++) {
    const rng = root.fork(`subject/${s}`);
    const traits: SubjectTraits = {
      diseased: diseased[s],
      severity: diseased[s] ? rng.uniform(opts.severity[0], opts.severity[1]) : 0,
      age: diseased[s] ? rng.uniform(62, 88) : rng.uniform(60, 85),
      sex: rng.next() < 0.5 ? 'F' : 'M',
    };
    const base = drawAnatomy(rng, traits);
    let years = 0;
    for (let v = 0; v < opts.sessions; v++) {
      const sesRng = rng.fork(`session/${v}`);
      if (v > 0) years += sesRng.uniform(0.8, 1.5);
      const anatomy = v === 0 ? base : sessionAnatomy(base, traits, years, sesRng);
      const site = siteOf[s];
      const { data, ventricleVoxels } = renderPhantom(anatomy, site, shape, sesRng.fork('render'));
      samples.push({
        volume: new Volume({ data, shape, spacing, affine }),
        label: opts.labels[traits.diseased ? 1 : 0],
        subject: `sub-${String(s + 1).padStart(width, '0')}`,
        session: `ses-${v + 1}`,
        site: site.name,
        age: Math.round((traits.age + years) * 10) / 10,
        sex: traits.sex,
        truth: {
          diseased: traits.diseased,
          severity: traits.severity,
          ventricleScale: anatomy.ventricleScale,
          cortexThickness: anatomy.cortex,
          ventricleVolumeMl: ventricleVoxels * voxelMl,
        },
      });
    }
  }
  return { samples, options: opts };
}

/** RAS+ affine with the world origin at the grid centre. */
function centredAffine(shape: Shape3, spacing: [number, number, number]): Affine {
  return [
    [spacing[0], 0, 0, (-(shape[0] - 1) / 2) * spacing[0]],
    [0, spacing[1], 0, (-(shape[1] - 1) / 2) * spacing[1]],
    [0, 0, spacing[2], (-(shape[2] - 1) / 2) * spacing[2]],
    [0, 0, 0, 1],
  ];
}

function validate(o: ResolvedSyntheticCohortOptions): void {
  const intAtLeast = (name: keyof SyntheticCohortOptions, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new OptionError(`SyntheticCohortOptions.${name}`, `expected an integer >= ${min}, got ${v}`);
  };
  intAtLeast('subjects', o.subjects, 1);
  intAtLeast('sessions', o.sessions, 1);
  if (!Number.isFinite(o.seed)) throw new OptionError('SyntheticCohortOptions.seed', `expected a finite number, got ${o.seed}`);
  if (o.spacing !== undefined && !(o.spacing > 0)) throw new OptionError('SyntheticCohortOptions.spacing', `expected > 0, got ${o.spacing}`);
  if (!(o.diseaseFraction >= 0 && o.diseaseFraction <= 1)) {
    throw new OptionError('SyntheticCohortOptions.diseaseFraction', `expected 0..1, got ${o.diseaseFraction}`);
  }
  if (!(o.severity[0] >= 0 && o.severity[0] <= o.severity[1] && o.severity[1] <= 1)) {
    throw new OptionError('SyntheticCohortOptions.severity', `expected 0 <= lo <= hi <= 1, got [${o.severity}]`);
  }
  if (!Array.isArray(o.labels) || o.labels.length !== 2 || o.labels[0] === o.labels[1] || o.labels.some((l) => typeof l !== 'string' || !l)) {
    throw new OptionError('SyntheticCohortOptions.labels', `expected two distinct non-empty names, got ${JSON.stringify(o.labels)}`);
  }
  if (!Array.isArray(o.sites) || o.sites.length < 1 || new Set(o.sites.map((s) => s.name)).size !== o.sites.length) {
    throw new OptionError('SyntheticCohortOptions.sites', 'expected at least one site, with distinct names');
  }
}
