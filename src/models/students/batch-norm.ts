/**
 * A BatchNormalization layer that trains through one fused op
 * ({@link batchNormTraining}) instead of tfjs-layers' moments + batchNorm
 * graph. Same options, weights, weight names, moving-average update and
 * inference path as `tf.layers.batchNormalization`, so checkpoints are
 * interchangeable; only channels-last normalisation (axis −1) with centre and
 * scale takes the fused path, everything else runs the tfjs-layers code.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../../backend/ops/batch-norm-train.js';

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];

/** The members of tfjs-layers' BatchNormalization this layer uses. */
interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerCtor = new (args: BatchNormArgs) => tf.layers.Layer;
const TfjsBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as LayerCtor;

/** tfjs-layers' BatchNormalization with a fused training path; serialised as 'TransmriBatchNormalization'. */
export class FusedBatchNormalization extends TfjsBatchNormalization {
  static className = 'TransmriBatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormInternals;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = kwargs.training === true;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (!training || !lastAxis || !self.center || !self.scale || x.rank < 2 || x.dtype !== 'float32' || (Array.isArray(inputs) && inputs.length !== 1)) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      // The moving averages exactly as tfjs-layers updates them.
      const update = (variable: tf.LayerVariable, value: tf.Tensor) => tf.tidy(() => {
        const orig = variable.read();
        variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - self.momentum)));
      });
      update(self.movingMean, mean);
      update(self.movingVariance, variance);
      // The statistics are kept past tidy by the op (see batchNormTraining): dispose them here.
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
tf.serialization.registerClass(FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/**
 * A batch normalisation layer (options of `tf.layers.batchNormalization`) that trains through the fused op.
 * @example
 * const bn = fusedBatchNormalization({ name: 'bn1' });
 */
export function fusedBatchNormalization(args: BatchNormArgs = {}): tf.layers.Layer {
  return new FusedBatchNormalization(args);
}
