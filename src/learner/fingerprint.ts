/**
 * What a resumed fit must find unchanged: the data (pipeline, split assignment, sample ids) and
 * the model (each layer's class and config). Stored in a checkpoint's manifest, compared on
 * resume; the differences are described in words (`steps[0].op: "zScore" saved, "minMax" now`).
 */
import type * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import type { BatchSource, SplitName } from '../data/batch.js';
import { leafLayers } from './model-handle.js';

const SPLITS: readonly SplitName[] = ['train', 'valid', 'test'];

/** Split assignment and sample ids of a source (sha1 of the ids, in split order). */
export interface DataFingerprint {
  /** Per split: sample count and sha1 of its ids. */
  splits: Record<SplitName, { count: number; sha1: string }>;
  /** All sample ids (sorted): count and sha1. */
  samples: { count: number; sha1: string };
}

/** One leaf layer: class and config without its name, trainable flag, initializers and seed (which a resume overwrites or restores). */
export interface LayerSignature {
  className: string;
  config: Record<string, unknown>;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The data fingerprint of a source, or undefined when it does not list its split ids. */
export function dataFingerprint(source: BatchSource): DataFingerprint | undefined {
  if (!source.splitIds) return undefined;
  const ids = Object.fromEntries(SPLITS.map((s) => [s, [...(source.splitIds as (s: SplitName) => readonly string[])(s)]])) as Record<SplitName, string[]>;
  const all = SPLITS.flatMap((s) => ids[s]).sort();
  return {
    splits: Object.fromEntries(SPLITS.map((s) => [s, { count: ids[s].length, sha1: sha1(ids[s].join('\n')) }])) as DataFingerprint['splits'],
    samples: { count: all.length, sha1: sha1(all.join('\n')) },
  };
}

/** The layer signatures of a model (leaf layers in model order). */
export function modelSignature(model: tf.LayersModel): LayerSignature[] {
  return model.layers.flatMap(leafLayers).map((layer) => {
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
    } catch {
      // a custom layer without a serialisable config: its class still counts
    }
    for (const key of Object.keys(config)) if (key === 'name' || key === 'trainable' || key === 'seed' || /initializer$/i.test(key)) delete config[key];
    return { className: layer.getClassName(), config };
  });
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** The first place where two JSON values differ, as `path: a saved, b now`; undefined when equal. */
export function firstDifference(saved: unknown, now: unknown, path = ''): string | undefined {
  if (JSON.stringify(saved) === JSON.stringify(now)) return undefined;
  if (saved !== null && now !== null && typeof saved === 'object' && typeof now === 'object' && Array.isArray(saved) === Array.isArray(now)) {
    const a = saved as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    const keys = Array.isArray(saved) ? Array.from({ length: Math.max((saved as unknown[]).length, (now as unknown[]).length) }, (_, i) => String(i)) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], Array.isArray(saved) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
  }
  return `${path || 'value'}: ${show(saved)} saved, ${show(now)} now`;
}

/** How the source's data differs from the saved one, one phrase per difference (empty when equal). */
export function dataDifferences(saved: { pipeline?: unknown; data?: DataFingerprint }, source: BatchSource): string[] {
  const out: string[] = [];
  const pipeline = (source as { pipeline?: unknown }).pipeline;
  const p = firstDifference(saved.pipeline, pipeline);
  if (p !== undefined) out.push(`pipeline differs (${p})`);
  const now = dataFingerprint(source);
  if (saved.data && now) {
    if (saved.data.samples.sha1 !== now.samples.sha1) out.push(`sample ids differ (${saved.data.samples.count} saved, ${now.samples.count} now)`);
    else {
      const moved = SPLITS.filter((s) => saved.data?.splits[s].sha1 !== now.splits[s].sha1);
      if (moved.length > 0) out.push(`split assignment differs (${moved.map((s) => `${s} ${saved.data?.splits[s].count} → ${now.splits[s].count} samples`).join(', ')})`);
    }
  }
  return out;
}

/** How a model differs from the saved layer signatures, or undefined when it is the same model. */
export function modelDifference(saved: LayerSignature[], model: tf.LayersModel): string | undefined {
  const now = modelSignature(model);
  if (saved.length !== now.length) return `${saved.length} layers saved, ${now.length} now`;
  for (let i = 0; i < now.length; i++) {
    if (saved[i].className !== now[i].className) return `layer ${i} is a ${saved[i].className} saved, a ${now[i].className} now`;
    const d = firstDifference(saved[i].config, now[i].config);
    if (d !== undefined) return `layer ${i} (${now[i].className}) differs (${d})`;
  }
  return undefined;
}
