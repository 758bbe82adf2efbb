/**
 * ROC curve points (for plots; the AUC itself is `rocAuc` in metrics.ts).
 */

/** A ROC curve: false- and true-positive rates from the strictest threshold down. */
export interface RocPoints {
  /** False-positive rates, from 0 to 1. */
  fpr: number[];
  /** True-positive rates at the same thresholds. */
  tpr: number[];
  /** Score thresholds (a sample is positive when score ≥ threshold); the first is +Infinity. */
  thresholds: number[];
}

/**
 * ROC curve of scores against binary truth, one point per distinct score (ties move together),
 * like scikit-learn's `roc_curve(drop_intermediate=False)`.
 * @example rocCurve([true, false, true], [0.9, 0.4, 0.6]) // fpr [0, 0, 0, 1], tpr [0, 0.5, 1, 1]
 */
export function rocCurve(positives: ArrayLike<boolean>, scores: ArrayLike<number>): RocPoints {
  const n = positives.length;
  if (scores.length !== n) throw new RangeError(`rocCurve: ${n} labels but ${scores.length} scores`);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positives[i]) nPos++;
  const nNeg = n - nPos;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (positives[i]) tp++;
    else fp++;
    if (k === n - 1 || scores[order[k + 1]] !== scores[i]) {
      fpr.push(nNeg === 0 ? 0 : fp / nNeg);
      tpr.push(nPos === 0 ? 0 : tp / nPos);
      thresholds.push(scores[i]);
    }
  }
  return { fpr, tpr, thresholds };
}

/**
 * One-vs-rest ROC curves of a probability matrix [N × numClasses]; for two classes only class 1's.
 */
export function rocCurves(labels: ArrayLike<number>, probabilities: ArrayLike<number>, classes: readonly string[]): Array<RocPoints & { name: string }> {
  const k = classes.length;
  const wanted = k === 2 ? [1] : classes.map((_, c) => c);
  return wanted.map((c) => {
    const positives = Array.from(labels, (y) => y === c);
    const scores = Array.from({ length: labels.length }, (_, i) => probabilities[i * k + c]);
    return { name: k === 2 ? classes[1] : `${classes[c]} vs rest`, ...rocCurve(positives, scores) };
  });
}
