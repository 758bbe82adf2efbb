/**
 * The `Experiment`: everything a report shows, as plain data. Every section is
 * optional; scripts fill it from Learner outputs (history, lrFind, metrics,
 * encode, predict) and DataBunch summaries, then call `report`.
 */
import type { MatrixInput } from '../matrix.js';
import type { HistoryEpoch, LrFinderCurve } from '../figures/curves.js';
import type { DistillationPredictions, RocCurve } from '../figures/classification.js';
import type { ReconstructionSample } from '../figures/reconstruction.js';
import type { SeedValuesGroup } from '../figures/seeds.js';

/** Rows of one split (structurally a DataBunch `SplitStats`). */
export interface ExperimentSplitStats {
  split: string;
  samples: number;
  subjects?: number;
  /** Samples per class. */
  labels?: Record<string, number>;
  age?: { mean: number; sd: number; n: number };
  sex?: Record<string, number>;
  site?: Record<string, number>;
  /** valid/test: samples with a near-duplicate in train (DataBunch's scan), as flagged / n and share. */
  nearDuplicateInTrain?: { n: number; flagged: number; share: number };
}

/** One metric with an optional 95% confidence interval. */
export interface ExperimentMetric {
  name: string;
  value: number;
  /** 95% confidence interval [lo, hi] (e.g. bootstrap percentiles). */
  ci?: readonly [number, number];
  /** Split it was measured on, e.g. 'test'. */
  split?: string;
}

/** Latent vectors or ready-made map coordinates of one set of samples. */
export interface ExperimentEmbedding {
  /** Name, e.g. 'encoder bottleneck (test)'. */
  name: string;
  /** Sample ids, shown on hover. */
  ids: readonly string[];
  /** Colour group per sample: class label, site or split. */
  groups: readonly string[];
  /** Legend title of the groups; default 'label'. */
  groupTitle?: string;
  /** High-dimensional vectors (samples × features); maps are computed from them by the report. */
  vectors?: MatrixInput;
  /** Maps to compute from `vectors`; default ['pca', 'tsne']. */
  methods?: ReadonlyArray<'pca' | 'tsne' | 'umap'>;
  /** A precomputed 2-D map (used as is, named by `method`). */
  coords?: ReadonlyArray<readonly [number, number] | number[]>;
  /** Name of the precomputed map, e.g. 't-SNE'; default 'map'. */
  method?: string;
}

/** Everything a report can show. All sections are optional. */
export interface Experiment {
  /** Report title. */
  title: string;
  /** One-paragraph description. */
  description?: string;
  /**
   * Links shown under the description, e.g. to a browser app written beside the report:
   * [{ text: 'Run the student in your browser', href: 'student-app/index.html' }]. An href is a
   * relative path or an http(s) URL; relative ones resolve against the report's folder.
   */
  links?: ReadonlyArray<{ text: string; href: string }>;
  /** ISO date-time of the run; default: when the report is written. */
  date?: string;
  /** The seed every random stream was derived from. */
  seed?: number;
  /** Configuration as given (options objects), shown as a key/value table. */
  config?: Record<string, unknown>;
  /** Versions, e.g. { transmri: '0.1.0', '@tensorflow/tfjs': '4.22.0', node: '20.19.0' }. */
  versions?: Record<string, string>;
  /** Backend in use, e.g. { name: 'cpu', native: 'loaded' } or 'cpu'. */
  backend?: string | Record<string, unknown>;
  /** Per-split statistics (DataBunch `splitStats`). */
  dataStats?: readonly ExperimentSplitStats[];
  /** Leakage checks: each key lists the offending pairs or ids (DataBunch `LeakageReport`). */
  leakage?: Record<string, ReadonlyArray<unknown>>;
  /** Training histories, one per phase (e.g. 'pretrain autoencoder', 'fine-tune'). */
  histories?: ReadonlyArray<{ name: string; epochs: readonly HistoryEpoch[] }>;
  /** Learning-rate finder result. */
  lrFind?: LrFinderCurve;
  /** Metrics with confidence intervals. */
  metrics?: readonly ExperimentMetric[];
  /** Values over seeds per setting (a sweep or a seed table): one figure each, dots per seed, mean ± sd. */
  seedValues?: ReadonlyArray<{ title: string; yTitle?: string; rule?: number; groups: readonly SeedValuesGroup[] }>;
  /** Confusion matrix, rows = true class. */
  confusion?: { matrix: readonly (readonly number[])[]; classes: readonly string[]; title?: string };
  /** ROC curves. */
  roc?: readonly RocCurve[];
  /** Latent spaces to map. */
  embeddings?: readonly ExperimentEmbedding[];
  /** Bottleneck activations per class. */
  bottleneck?: { activations: MatrixInput; labels: readonly string[]; bins?: number };
  /** A few samples with their reconstructions. */
  reconstructions?: readonly ReconstructionSample[];
  /** Teacher and student predictions on the same samples. */
  distillation?: DistillationPredictions;
  /** Wall-clock timings in seconds, e.g. [{ name: 'fit', seconds: 812 }]. */
  timings?: ReadonlyArray<{ name: string; seconds: number }>;
  /** Free-text remarks (deviations from protocol, caveats). */
  notes?: readonly string[];
}
