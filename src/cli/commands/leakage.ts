/**
 * `transmri leakage ROOT [--json] [--groupBy nearDuplicates] [--threshold R] [--valid F] [--seed N] [--cacheDir DIR | --no-cache]`:
 * is my class-folder set leaky? Splits ROOT as DataBunch.fromFolder does (a Training/Testing
 * layout gives the test split; validation is carved from the rest) and prints, per split, how
 * many images have a near-duplicate in train (Pearson r of centred 32×32 grey thumbnails ≥ R).
 * With `--json`: one JSON object (see FolderLeakage) whose `flagged` holds those counts per split
 * name, e.g. `"flagged": { "valid": 0, "test": 118 }`. Thumbnails are cached (see folderLeakage's
 * cacheDir), so a second check of an unchanged set costs only the search.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_FOLDER_LEAKAGE, folderLeakage, formatFolderLeakage } from '../../data/databunch/folder-leakage.js';
import { addConfigOption, parseInteger, parseNumber, resolveOptions } from '../config.js';

const Options = z.strictObject({
  json: z.boolean(),
  groupBy: z.enum(['subject', 'nearDuplicates']),
  threshold: z.number(),
  valid: z.number(),
  test: z.number(),
  seed: z.number().int(),
  cacheDir: z.string().optional(),
  cache: z.boolean(),
});

/** `transmri leakage`. */
export function leakageCommand(): Command {
  const d = DEFAULT_FOLDER_LEAKAGE;
  return addConfigOption(
    new Command('leakage')
      .description('is my class-folder set leaky? per split, the images with a near-duplicate in train')
      .argument('<root>', 'dataset root: <class>/ folders, or Training/ and Testing/ folders of class folders')
      .option('--json', 'print one JSON object (flagged: images with a near-duplicate in train, per split name)', false)
      .option('--groupBy <how>', "'subject' (each image alone) or 'nearDuplicates' (near-duplicates form one pseudo-subject before valid is carved)", d.groupBy)
      .option('--threshold <r>', 'Pearson r of the centred 32×32 grey thumbnails at or above which two images are near-duplicates, in [0.5, 1]', parseNumber, d.threshold)
      .option('--valid <fraction>', 'fraction of the non-test images held out for validation', parseNumber, d.valid)
      .option('--test <fraction>', 'fraction held out for test when there is no test folder', parseNumber, d.test)
      .option('--seed <n>', 'seed of the split (the DataBunch default gives the same split)', parseInteger, d.seed)
      .option('--cacheDir <dir>', 'folder of the thumbnail cache (default: the DataBunch cache folder of ROOT, ROOT/.transmri-cache, or a temp folder for read-only data)')
      .option('--no-cache', 'decode every image, read and write no thumbnail cache'),
  ).action(async (root: string, _o: unknown, cmd: Command) => {
    const { json, cache, cacheDir, ...o } = await resolveOptions(cmd, Options);
    const result = await folderLeakage(root, { ...o, cacheDir: cache ? cacheDir : false });
    process.stdout.write((json ? JSON.stringify(result) : formatFolderLeakage(result)) + '\n');
  });
}
