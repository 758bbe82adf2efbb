/**
 * Where the benchmarks find the shared data sets by default: `TRANSMRI_DATA`, else `../shared/data`
 * beside the repository (resolved from this file, not a machine's absolute path).
 */
import { fileURLToPath } from 'node:url';

export const SHARED_DATA: string = process.env.TRANSMRI_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
