/**
 * Where the tests find the shared data sets: `TRANSMRI_DATA`, else `../shared/data` beside the
 * repository (resolved from this file, not from the working directory or a machine's absolute path).
 * Tests that need them skip with a message naming the folder when it is absent.
 */
import { fileURLToPath } from 'node:url';

export const SHARED_DATA: string = process.env.TRANSMRI_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
