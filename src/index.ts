/**
 * transmri: transfer learning and knowledge distillation for brain MRI on TensorFlow.js.
 * The one public entry point. Every export is named here (no `export *`);
 * test/index.test.ts pins the list.
 */

// --- backend ---
export { initBackend, DEFAULT_INIT_BACKEND } from './backend/init.js';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend/init.js';
export type { NativeStatus } from './backend/native/register.js';
export { settingsFromEnv, resolveNativeSettings, SETTING_ENV } from './backend/settings.js';
export type { NativeSettings, SimdSetting, RecycleSetting } from './backend/settings.js';
export {
  TransmriError,
  DataError,
  ShapeError,
  OptionError,
  FormatError,
  CancelFitError,
  CancelBatchError,
  NonFiniteLossError,
  NonFiniteValidationError,
} from './backend/errors.js';
export type { DataLocation } from './backend/errors.js';
export { Rng } from './backend/rng.js';

// --- backend: native kernels and ops ---
export { registerNativeKernels, unregisterNativeKernels, setNativeThreads } from './backend/native/register.js';
export { upSampling3d, UPSAMPLING3D_KERNEL, UPSAMPLING3D_GRAD_KERNEL } from './backend/ops/upsample3d.js';
export type { UpSampling3DMethod } from './backend/ops/upsample3d.js';

// --- data: volumes and batches ---
export { Volume, diagonalAffine } from './data/volume.js';
export type { Affine, Shape3, VolumeInit } from './data/volume.js';
export type { Batch, BatchSource, BatchStreamOptions, SplitName, ArrayWithShape } from './data/batch.js';
export { splitVoxels } from './data/split-voxels.js';
export type { SplitVoxels } from './data/split-voxels.js';

// --- data: io ---
export { readNifti, readNiftiHeader, DEFAULT_READ_NIFTI } from './data/nifti/reader.js';
export type { ReadNiftiOptions } from './data/nifti/reader.js';
export type { NiftiHeader, AffineSource } from './data/nifti/header.js';
export { writeNifti, DEFAULT_WRITE_NIFTI } from './data/nifti/writer.js';
export type { WriteNiftiOptions } from './data/nifti/writer.js';
export { readImage2d, sniffImageFormat, DEFAULT_READ_IMAGE2D } from './data/read-image2d.js';
export type { ReadImage2dOptions, Image2dFormat } from './data/read-image2d.js';
export { readCohortCsv, DEFAULT_CSV_COLUMNS, DEFAULT_READ_COHORT_CSV, readTable, readTableObjects, parseTable, tableDelimiter } from './data/csv.js';
export type { Table, TableDelimiter } from './data/csv.js';
export { bidsRows, bidsEntities, DEFAULT_BIDS_SOURCE, DEFAULT_BIDS_COLUMNS } from './data/bids.js';
export type { BidsSourceOptions, BidsColumns } from './data/bids.js';
export type { CohortRow, CsvColumns, ReadCohortCsvOptions } from './data/csv.js';

// --- data: volume ops ---
export { cropOrPad, cropToBox, foregroundBox, cropToForeground, DEFAULT_CROP_OR_PAD, DEFAULT_FOREGROUND } from './data/ops/crop.js';
export type { Box, CropOrPadOptions, ForegroundOptions } from './data/ops/crop.js';
export { zoom, zoomOutputShape, resampleToSpacing, DEFAULT_ZOOM } from './data/ops/zoom.js';
export type { ZoomOptions, InterpolationOrder } from './data/ops/zoom.js';
export { minMax, zScore, percentileClip, DEFAULT_MIN_MAX, DEFAULT_Z_SCORE, DEFAULT_PERCENTILE_CLIP } from './data/ops/intensity.js';
export type { MinMaxOptions, ZScoreOptions, PercentileClipOptions } from './data/ops/intensity.js';
export { percentile, percentileOfSorted, intensityStats, histogram, DEFAULT_INTENSITY_STATS, DEFAULT_HISTOGRAM } from './data/ops/stats.js';
export type { IntensityStats, IntensityStatsOptions, Histogram, HistogramOptions } from './data/ops/stats.js';
export { applyMask, thresholdMask, DEFAULT_APPLY_MASK } from './data/ops/mask.js';
export type { ApplyMaskOptions } from './data/ops/mask.js';
export {
  flip,
  randomFlip,
  rotateTranslate,
  randomAffine,
  intensityJitter,
  gaussianNoise,
  DEFAULT_RANDOM_FLIP,
  DEFAULT_ROTATE_TRANSLATE,
  DEFAULT_RANDOM_AFFINE,
  DEFAULT_INTENSITY_JITTER,
  DEFAULT_GAUSSIAN_NOISE,
} from './data/ops/augment.js';
export type { RandomFlipOptions, RotateTranslateOptions, RandomAffineOptions, IntensityJitterOptions, GaussianNoiseOptions } from './data/ops/augment.js';

// --- data: synthetic cohort ---
export { generateCohort, DEFAULT_SYNTHETIC_COHORT, DEFAULT_SITES } from './data/synthetic/cohort.js';
export type { SyntheticCohortOptions, ResolvedSyntheticCohortOptions, SyntheticCohort, SyntheticSample, SyntheticTruth } from './data/synthetic/cohort.js';
export type { SiteProfile } from './data/synthetic/phantom.js';
export { writeCohort, DEFAULT_WRITE_COHORT, COHORT_CSV_COLUMNS } from './data/synthetic/write.js';
export type { WriteCohortOptions, CohortCsvRow } from './data/synthetic/write.js';

// --- data: DataBunch ---
export { DataBunch, DEFAULT_DATABUNCH } from './data/databunch/databunch.js';
export type { DataBunchOptions, DataBunchRow, DataBunchSample, DataBunchSeeds } from './data/databunch/databunch.js';
export { splitItems, pseudoSubjects, DEFAULT_SPLIT } from './data/databunch/splits.js';
export type { SplitItem, SplitOptions, SplitIds } from './data/databunch/splits.js';
export { kFoldPartition } from './data/databunch/kfold.js';
export type { Fold } from './data/databunch/kfold.js';
export { inverseFrequencyWeights, undersample, oversampledOrder } from './data/databunch/balance.js';
export { Pipeline, PIPELINE_FORMAT_VERSION } from './data/databunch/pipeline.js';
export type { PipelineSpec, PipelineJSON, InputSpec } from './data/databunch/pipeline.js';
export type { StepSpec } from './data/databunch/steps.js';
export { SampleCache, CACHE_FORMAT_VERSION, DEFAULT_CACHE } from './data/databunch/cache.js';
export type { CacheOptions, CacheManifest } from './data/databunch/cache.js';
export type { CacheEntry, SourceIdentity } from './data/databunch/cache-entry.js';
export { SampleFilesError } from './data/databunch/check-files.js';
export { middleSlices } from './data/databunch/stream.js';
export type { SliceView } from './data/databunch/stream.js';
export { dHash, hamming, DEFAULT_LEAKAGE } from './data/databunch/leakage.js';
export type { LeakageOptions, LeakageReport, LeakPair } from './data/databunch/leakage.js';
export { thumbnail, thumbnails, thumbnailsWithStats, THUMBNAIL_SIZE, DEFAULT_THUMBNAILS } from './data/databunch/thumbnails.js';
export type { ThumbnailsOptions, ThumbnailScan } from './data/databunch/thumbnails.js';
export { nearDuplicatePairs, nearComponents, contamination, contaminationWarning, DEFAULT_NEAR_THRESHOLD } from './data/databunch/near-duplicates.js';
export type { NearPair, NearDuplicateSearch, SplitContamination } from './data/databunch/near-duplicates.js';
export { DEFAULT_NEAR_DUPLICATES } from './data/databunch/near-scan.js';
export type { NearDuplicateOptions, NearScan } from './data/databunch/near-scan.js';
export { folderLeakage, formatFolderLeakage, DEFAULT_FOLDER_LEAKAGE } from './data/databunch/folder-leakage.js';
export type { FolderLeakage, FolderLeakageOptions } from './data/databunch/folder-leakage.js';
export { csvRows, folderRows, DEFAULT_CSV_SOURCE, DEFAULT_FOLDER_SOURCE } from './data/databunch/sources.js';
export type { CsvSourceOptions, FolderSourceOptions } from './data/databunch/sources.js';
export { splitStats, formatStats } from './data/databunch/stats.js';
export type { SplitStats } from './data/databunch/stats.js';

// --- data: 2D transforms ---
export { image2DFromVolume, image2DToVolume } from './data/transforms2d/image2d.js';
export type { Image2D, ValueRange } from './data/transforms2d/image2d.js';
export { invertImage, mergeImages, DEFAULT_INVERT, DEFAULT_MERGE } from './data/transforms2d/intensity.js';
export type { InvertOptions, MergeOptions, MergeMode } from './data/transforms2d/intensity.js';
export { clahe, DEFAULT_CLAHE } from './data/transforms2d/clahe.js';
export type { ClaheOptions } from './data/transforms2d/clahe.js';
export { erodeImage, dilateImage, openImage, closeImage, footprintOffsets } from './data/transforms2d/morphology.js';
export type { Footprint } from './data/transforms2d/morphology.js';
export { gaussianSmooth, medianSmooth, gaussianKernel1d, DEFAULT_GAUSSIAN, DEFAULT_MEDIAN } from './data/transforms2d/smoothing.js';
export type { GaussianOptions, MedianOptions } from './data/transforms2d/smoothing.js';
export { alzheimerContrastPipeline, DEFAULT_ALZHEIMER_PIPELINE } from './data/transforms2d/alzheimer-contrast.js';
export type { AlzheimerPipelineOptions, SmoothingSpec } from './data/transforms2d/alzheimer-contrast.js';

// --- models ---
export { resize3d, UpSampling3D, DEFAULT_UPSAMPLING3D } from './models/upsampling3d.js';
export type { UpSamplingMethod, UpSampling3DArgs } from './models/upsampling3d.js';
export { ZeroPadding3D, DEFAULT_ZERO_PADDING3D } from './models/padding3d.js';
export type { Padding3D, ZeroPadding3DArgs } from './models/padding3d.js';
export type { ActivationName, VolumeInputShape, AutoencoderModel, ClassifierModel, MultitaskModel } from './models/building-blocks.js';
export { buildCae, DEFAULT_CAE } from './models/cae.js';
export type { CaeOptions, CaeConfig } from './models/cae.js';
export { buildSrcae, DEFAULT_SRCAE } from './models/srcae.js';
export type { SrcaeOptions, SrcaeConfig } from './models/srcae.js';
export { classifierFromEncoder, buildClassifier, buildMultitask, multitaskFromAutoencoder, DEFAULT_HEAD } from './models/classifier.js';
export type { HeadOptions, HeadConfig, EncoderClassifierConfig, BackboneOptions, BackboneHeadOptions, BackboneHeadConfig } from './models/classifier.js';
export { summarize, layerFlops } from './models/summary.js';
export type { ModelSummary, SummaryRow } from './models/summary.js';
// file io
export { fileSystemHandler, loadLayersModelFrom, DEFAULT_FILE_SYSTEM_HANDLER, DEFAULT_LOAD_LAYERS_MODEL_FROM } from './backend/file-io.js';
export type { FileSystemHandlerOptions, LoadLayersModelFromOptions } from './backend/file-io.js';
// losses
export { mseLoss, l1Loss, l1Sparsity, crossEntropy, multitaskLoss, DEFAULT_CROSS_ENTROPY, DEFAULT_MULTITASK_LOSS } from './learner/losses.js';
export type { CrossEntropyOptions, MultitaskLossArgs } from './learner/losses.js';
export { adamW, AdamWOptimizer, DEFAULT_ADAMW } from './learner/adamw.js';
export type { AdamWOptions } from './learner/adamw.js';
// 2D backbones
export { backboneClassifier, DEFAULT_BACKBONE_CLASSIFIER } from './models/backbone2d.js';
export type { BackboneClassifierOptions, BackboneClassifierConfig, BackboneClassifierModel } from './models/backbone2d.js';
export { BackboneNormalization, resolveNormalization } from './models/backbone2d-normalize.js';
export type { BackboneNormalizationArgs, NormalizationPreset, NormalizationSpec } from './models/backbone2d-normalize.js';

// --- learner ---
export { ArrayBatchSource, DEFAULT_ARRAY_BATCH_SOURCE } from './data/array-source.js';
export type { ArrayBatchSourceOptions, ArraySplit, ArrayAugment } from './data/array-source.js';
export { Learner, DEFAULT_LEARNER, DEFAULT_FIT } from './learner/learner.js';
export type { LearnerOptions, FitOptions, Prediction } from './learner/learner.js';
export { LEARNER_EVENTS, CALLBACK_ORDER } from './learner/callback.js';
export type { Callback, LearnerEvent, FitState, EpochRecord } from './learner/callback.js';
export type { ModelHandle, ModelKind, LayerGroup } from './learner/model-handle.js';
export type { LossSpec, LossFunction, LossInputs } from './learner/loss-spec.js';
export type { OptimizerSpec } from './learner/optim.js';
export { scheduleLr, scheduleMomentum, DEFAULT_SCHEDULE } from './learner/schedule.js';
export type { ScheduleSpec } from './learner/schedule.js';
export { CHECKPOINT_VERSION, loadModel, readManifest } from './learner/checkpoint.js';
export type { CheckpointManifest, FitPlan } from './learner/checkpoint.js';
export { exportModel, DEFAULT_EXPORT } from './learner/export/export-model.js';
export type { ExportOptions, ExportResult } from './learner/export/export-model.js';
export { EXPORT_VERSION } from './learner/export/export-meta.js';
export type { ExportMeta } from './learner/export/export-meta.js';
export { saliency, DEFAULT_SALIENCY } from './learner/saliency.js';
export type { SaliencyOptions, SaliencyMap, SaliencyMethod } from './learner/saliency.js';
export { writeOnScanGrid, DEFAULT_WRITE_ON_SCAN_GRID } from './learner/saliency-nifti.js';
export type { WriteOnScanGridOptions } from './learner/saliency-nifti.js';
export { preprocessVolume, modelInput, invertIntensity, resampleToGrid } from './data/preprocess.js';
export type { IntensityQuantity } from './data/preprocess.js';
export { writeApp } from './app/write-app.js';
export type { AppFiles } from './app/write-app.js';
export { DEFAULT_ENCODE } from './learner/inference.js';
export type { EncodeOptions, Encoding } from './learner/inference.js';
export { METRIC_NAMES } from './learner/metrics/epoch.js';
export type { MetricName } from './learner/metrics/epoch.js';
export {
  confusionMatrix,
  accuracy,
  balancedAccuracy,
  macroF1,
  perClassScores,
  rocAuc,
  multiclassAuc,
  classificationMetrics,
  DEFAULT_CLASSIFICATION_METRICS,
} from './learner/metrics/classification.js';
export type { ClassificationMetricsOptions, ClassificationReport } from './learner/metrics/classification.js';
export { rocCurve, rocCurves } from './learner/metrics/roc.js';
export type { RocPoints } from './learner/metrics/roc.js';
export { quantileSorted } from './backend/quantile.js';
export { bootstrapInterval, percentileInterval, pooledScore, formatCi } from './learner/metrics/bootstrap.js';
export type { ScoreWithCi } from './learner/metrics/bootstrap.js';
export { meanSd, seedSummary, formatMeanSd, pairedDifference, winTieLoss, studentTQuantile, tInterval, pairedSummary } from './learner/metrics/mean-sd.js';
export type { SeedSummary, PairedSummary } from './learner/metrics/mean-sd.js';
export { tTest, pairedTest, DEFAULT_PAIRED_TEST } from './learner/metrics/paired-test.js';
export { classScores, predictionScores, recallText, confusionText, sumConfusion, classScoresTable, markdownTable } from './learner/metrics/class-scores.js';
export type { ClassScores } from './learner/metrics/class-scores.js';
export type { TTest, PairedTest, PairedTestOptions } from './learner/metrics/paired-test.js';
export { meanAbsoluteError, pearson } from './learner/metrics/regression.js';
export { fitStandardizer, standardize, ridgeFit, linearPredict, logisticFit, logisticPredict, pick, DEFAULT_RIDGE_LAMBDAS, DEFAULT_LOGISTIC } from './learner/probes.js';
export type { Features, Standardizer, RidgeModel, LogisticOptions } from './learner/probes.js';
export { lrFind, LrFinder, valleyIndex, steepestIndex, DEFAULT_LR_FIND } from './learner/lr-find.js';
export type { LrFindOptions, LrFindResult } from './learner/lr-find.js';
export { EarlyStopping, DEFAULT_EARLY_STOPPING } from './learner/callbacks/early-stopping.js';
export type { EarlyStoppingOptions } from './learner/callbacks/early-stopping.js';
export { BestModelCheckpoint, DEFAULT_BEST_MODEL_CHECKPOINT } from './learner/callbacks/keep-best.js';
export type { BestModelCheckpointOptions } from './learner/callbacks/keep-best.js';
export { GradientClipping, DEFAULT_GRADIENT_CLIPPING } from './learner/callbacks/gradient-clipping.js';
export type { GradientClippingOptions } from './learner/callbacks/gradient-clipping.js';
export { ParamScheduler } from './learner/callbacks/param-scheduler.js';
export { Recorder } from './learner/callbacks/recorder.js';
export { CheckpointSaver } from './learner/callbacks/checkpoint-saver.js';
export { ProgressBar, DEFAULT_PROGRESS_BAR } from './learner/callbacks/progress-bar.js';
export type { ProgressBarOptions } from './learner/callbacks/progress-bar.js';
export { ProgressReporter, DEFAULT_PROGRESS_REPORTER, formatDuration } from './learner/callbacks/progress-reporter.js';
export type { ProgressReporterOptions, ProgressMode } from './learner/callbacks/progress-reporter.js';
export { HistoryLogger, historyToCsv, DEFAULT_HISTORY_LOGGER } from './learner/callbacks/history-logger.js';
export type { HistoryLoggerOptions } from './learner/callbacks/history-logger.js';
export { autoencoderLearner, classifierLearner, classifierLearnerFromEncoder, multitaskLearner, DEFAULT_FACTORY } from './learner/factories.js';
export type { AutoencoderLearnerOptions, ClassifierLearnerOptions, TransferLearnerOptions, BackboneSpec, HeadSpec } from './learner/factories.js';
export { pretrainCae, pretrainMultitask, trainTransfer, trainUnfrozen, trainScratch, classifierEpochs, DEFAULT_SITE_CLASSIFIER } from './learner/site-classifiers.js';
export type { SiteClassifierConfig, TrainedClassifier, PretrainedEncoder } from './learner/site-classifiers.js';

// --- distillation ---
export { hintonKd, logitMatching, decoupledKd, decoupledKdParts, DEFAULT_HINTON_KD, DEFAULT_DECOUPLED_KD } from './learner/distill/logit-losses.js';
export type { HintonKdOptions, DecoupledKdOptions, DecoupledKdParts } from './learner/distill/logit-losses.js';
export {
  makeHintRegressor,
  fitnetsHint,
  attentionTransfer,
  similarityPreserving,
  batchOrthogonality,
  DEFAULT_HINT_REGRESSOR,
  DEFAULT_ATTENTION_TRANSFER,
  DEFAULT_SIMILARITY_PRESERVING,
} from './learner/distill/feature-losses.js';
export type { HintRegressorOptions, AttentionTransferOptions, SimilarityPreservingOptions } from './learner/distill/feature-losses.js';
export { DEFAULT_STUDENT_CNN } from './models/students/student-cnn.js';
export type { StudentModel, StudentCnnOptions, StudentCnnConfig } from './models/students/student-cnn.js';
export { sliceCnn, earlyFusion } from './models/students/slice.js';
export type { SliceCnnOptions, EarlyFusionOptions, SliceCnnConfig } from './models/students/slice.js';
export type { SequenceStudentOptions, SequenceStudentConfig, RankPoolingKind } from './models/students/sequence-input.js';
export { jointFusion } from './models/students/joint-fusion.js';
export type { JointFusionOptions } from './models/students/joint-fusion.js';
export { cnnLstm } from './models/students/cnn-lstm.js';
export type { CnnLstmOptions } from './models/students/cnn-lstm.js';
export { dynamicImage, rankPoolingCoefficients } from './models/students/dynamic-image.js';
export type { DynamicImageOptions } from './models/students/dynamic-image.js';
export { edgeCnn, DEFAULT_EDGE_CNN } from './models/students/edge.js';
export type { EdgeCnnOptions, EdgeCnnConfig } from './models/students/edge.js';
export { resnet2d, DEFAULT_RESNET2D } from './models/teachers/resnet2d.js';
export type { ResNet2dOptions, ResNet2dConfig } from './models/teachers/resnet2d.js';
export { distill, distillationLoss, DEFAULT_DISTILL, DEFAULT_DISTILL_LOSS } from './learner/distill/distill.js';
export type { DistillOptions, DistillLossOptions, Distillation } from './learner/distill/distill.js';
export { TeacherCache, DistillTeacherCallback } from './learner/distill/teacher.js';
export type { TeacherSpec, TeacherBatch } from './learner/distill/teacher.js';
export { normalizationAffine, withInputAffine } from './learner/distill/input-adapter.js';
export { VolumeViewSource, viewShape, cutView, flipX, loadSplit, withUnlabelled, keepLabelled, FLIP_SUFFIX } from './data/views/volume-views.js';
export type { StudentView, VolumeSplit, VolumeViewSourceOptions } from './data/views/volume-views.js';

// --- viz ---
export { pca, pcaProject, pcaReconstructionMse, DEFAULT_PCA } from './viz/pca.js';
export type { PcaOptions, PcaResult } from './viz/pca.js';
export { tsne, DEFAULT_TSNE } from './viz/tsne.js';
export type { TsneOptions, TsneResult } from './viz/tsne.js';
export { umap, DEFAULT_UMAP } from './viz/umap.js';
export type { UmapOptions, UmapResult } from './viz/umap.js';
export { trustworthiness } from './viz/trustworthiness.js';
export type { MatrixInput } from './viz/matrix.js';
export { renderVegaLite, DEFAULT_FIGURE } from './viz/figures/render.js';
export type { FigureOptions } from './viz/figures/render.js';
export { embeddingFigure, DEFAULT_EMBEDDING_FIGURE } from './viz/figures/embedding.js';
export type { EmbeddingPoints, EmbeddingFigureOptions } from './viz/figures/embedding.js';
export { activationHistogram, activationHistogramFigure, DEFAULT_HISTOGRAM_FIGURE } from './viz/figures/histogram.js';
export type { HistogramBin, HistogramFigureOptions } from './viz/figures/histogram.js';
export { trainingCurvesFigure, lrFinderFigure, DEFAULT_CURVES_FIGURE, DEFAULT_LR_FINDER_FIGURE } from './viz/figures/curves.js';
export type { HistoryEpoch, CurvesFigureOptions, LrFinderCurve, LrFinderFigureOptions } from './viz/figures/curves.js';
export { confusionFigure, agreementFigure, rocFigure, countMatrix, agreementRate, trapezoidAuc, DEFAULT_CONFUSION_FIGURE } from './viz/figures/classification.js';
export type { ConfusionFigureOptions, DistillationPredictions, RocCurve } from './viz/figures/classification.js';
export { reconstructionFigure, DEFAULT_RECONSTRUCTION_FIGURE } from './viz/figures/reconstruction.js';
export type { ReconstructionSample, ReconstructionFigureOptions } from './viz/figures/reconstruction.js';
export { centreSlices, greyPng, divergingPng } from './viz/figures/raster.js';
export type { VolumeArray, Plane } from './viz/figures/raster.js';
export { report, renderReport, DEFAULT_REPORT } from './viz/report/report.js';
export type { ReportOptions, ReportResult } from './viz/report/report.js';
export type { Experiment, ExperimentSplitStats, ExperimentMetric, ExperimentEmbedding } from './viz/report/experiment.js';
export { historyForReport, metricsForReport, rocForReport, versionsForReport, backendForReport, reconstructionsForReport } from './viz/report/from-learner.js';
export { seedValuesFigure, DEFAULT_SEED_VALUES_FIGURE } from './viz/figures/seeds.js';
export type { SeedValuesGroup, SeedValuesFigureOptions } from './viz/figures/seeds.js';

// --- sweep (on top of learner and viz) ---
export { runSweep, sweepExperiment, DEFAULT_RUN_SWEEP } from './sweep/run-sweep.js';
export type { RunSweepOptions, SweepProgress, SweepResult } from './sweep/run-sweep.js';
export { loadSweepConfig, parseSweepConfig, settingLabel, SweepConfigSchema, DEFAULT_SWEEP } from './sweep/config.js';
export type { SweepConfig, SweepConfigInput, SweepSetting, ExperimentRef } from './sweep/config.js';
export { expandJobs, jobKey, resolveCodeVersion } from './sweep/jobs.js';
export type { SweepJobSpec } from './sweep/jobs.js';
export { SWEEP_EXPERIMENTS, loadJobFunction, resolveExperimentModule } from './sweep/experiments.js';
export type { SweepJobContext, SweepJobResults, SweepJobFunction } from './sweep/experiments.js';
export { SweepJobResultError, SweepJobTimeoutError } from './sweep/run-job.js';
export type { SweepJobRecord } from './sweep/run-job.js';
export { mergeRecords, summaryMarkdown } from './sweep/merge.js';
export type { SweepSummary, SweepRow, SweepDifference } from './sweep/merge.js';
export { startSweepWorker, DEFAULT_SWEEP_WORKER } from './sweep/worker.js';
export type { SweepWorkerOptions, SweepWorkerHandle } from './sweep/worker.js';
export { QueueUnreachableError, DEFAULT_QUEUE_NAME } from './sweep/queue.js';
export { parseRedisUrl } from './sweep/redis.js';
export type { RedisAddress } from './sweep/redis.js';
