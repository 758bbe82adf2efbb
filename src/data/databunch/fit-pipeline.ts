/**
 * The pipeline of a DataBunch made ready to read samples: every split's files checked, the
 * sample cache opened, mask files hashed and loaded, the pipeline fitted on the training split
 * (reading through the cache, so its entries are built on the way) and the sample shape taken
 * from the first sample.
 */
import { DataError, OptionError } from '../../backend/errors.js';
import type { Volume } from '../volume.js';
import { SampleCache, type CacheKey } from './cache.js';
import { commonDir, defaultCacheDir } from './cache-location.js';
import { checkSampleFiles } from './check-files.js';
import { inputWithNonFinite, loadMasks, loadSample, maskDigests } from './loaders.js';
import { Pipeline, type PipelineJSON, type PipelineSpec } from './pipeline.js';
import type { DataBunchSample, ResolvedOptions } from './rows.js';
import { SPLIT_NAMES, type SplitIds } from './splits.js';
import { inputShape } from './stream.js';

/** A fitted pipeline with what reading a sample through it needs. */
export interface FittedPipeline {
  pipeline: Pipeline;
  cache: SampleCache;
  /** Mask volumes by path. */
  masks: Map<string, Volume>;
  /** Cache key of the cached pipeline prefix (loader, static steps, mask file contents). */
  cacheHash: string;
  /** Shape of one batch item (after any slice view). */
  sampleShape: number[];
  /** Shape of one sample after the pipeline, [nx, ny, nz, channels]. */
  volumeShape: number[];
}

/** The cache key of a sample file: on a miss the cached part of `pipeline` builds the entry from the file. */
export function sampleCacheKey(file: string, pipeline: Pipeline, masks: Map<string, Volume>, cacheHash: string): CacheKey {
  return {
    id: file,
    source: file,
    pipelineHash: cacheHash,
    produce: async () => {
      const v = pipeline.applyCached(await loadSample(file, pipeline.input), masks);
      return { data: v.data, shape: [...v.shape, v.channels] };
    },
  };
}

/**
 * Checks the files of every split (all bad files in one error), opens the cache, loads the masks,
 * fits `opts.pipeline` on the training split unless it is already fitted, and reads the first
 * training sample (else the first sample) for the shapes.
 * @throws DataError for bad or missing files, or no samples; OptionError for a bad `view.slices.axis` or `nonFinite`
 */
export async function fitPipeline(samples: readonly DataBunchSample[], splits: SplitIds, opts: ResolvedOptions): Promise<FittedPipeline> {
  let pipeline = 'formatVersion' in (opts.pipeline as object) ? Pipeline.fromJSON(opts.pipeline as PipelineJSON) : new Pipeline(opts.pipeline as PipelineSpec);
  if (opts.nonFinite !== undefined) pipeline = new Pipeline({ input: inputWithNonFinite(pipeline.input, opts.nonFinite), steps: [...pipeline.steps] });
  const byId = new Map(samples.map((s) => [s.id, s]));
  // every split's files, before anything is read for training: all bad files in one error
  await checkSampleFiles(SPLIT_NAMES.flatMap((split) => splits[split].map((id) => ({ id, file: (byId.get(id) as DataBunchSample).file, split }))), pipeline.input);
  const cacheDir = opts.cacheDir ?? (await defaultCacheDir(commonDir(samples.map((s) => s.file)), opts.onWarning));
  const cache = await SampleCache.open(cacheDir, { onMessage: opts.onWarning, ...opts.cache });
  // digests before loading: a mask changed in between costs a rebuild later, never a stale entry
  const digests = await maskDigests(pipeline.steps);
  pipeline = pipeline.withMaskDigests(digests);
  const cacheHash = pipeline.cacheHash(digests);
  const masks = await loadMasks(pipeline.steps, pipeline.input);
  const readCached = (s: DataBunchSample): ReturnType<SampleCache['get']> => cache.get(sampleCacheKey(s.file, pipeline, masks, cacheHash));
  if (!pipeline.fitted) {
    const train = splits.train.map((id) => byId.get(id) as DataBunchSample);
    pipeline = await pipeline.fit(async function* () {
      for (const s of train) yield await readCached(s);
    }, masks);
  }
  const firstId = splits.train[0] ?? samples[0]?.id;
  if (firstId === undefined) throw new DataError('DataBunch: no samples');
  const first = await readCached(byId.get(firstId) as DataBunchSample);
  const online = pipeline.applyOnline(first.data, first.shape, undefined, masks);
  if (opts.view && online.shape[opts.view.slices.axis] === undefined) throw new OptionError('DataBunchOptions.view.slices.axis', `expected 0, 1 or 2, got ${opts.view.slices.axis}`);
  const sampleShape = inputShape(online.shape, pipeline.input.kind === 'image2d', opts.view?.slices);
  return { pipeline, cache, masks, cacheHash, sampleShape, volumeShape: online.shape };
}
