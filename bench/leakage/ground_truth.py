#!/usr/bin/python3
"""Independent ground truth for bench/leakage/run.ts: brute-force Pearson r of 32x32 grey thumbnails.

Decodes every image with Pillow (not sharp), converts to grey (PIL 'L'), area-averages to 64x64
(Image.BOX), centres it on its intensity centroid and samples 32x32 (the definition in
src/data/databunch/thumbnails.ts, implemented again here in numpy), and computes r for ALL pairs
with a numpy matrix product. Writes the pairs with
r >= --floor as JSON: {"files": [relative paths], "pairs": [[i, j, r], ...]} (i < j).

  /usr/bin/python3 bench/leakage/ground_truth.py ROOT OUT.json [--floor 0.9]
"""
import json
import os
import sys
import time

import numpy as np
from PIL import Image

IMAGE = ('.jpg', '.jpeg', '.png')


def files_of(root):
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.lower().endswith(IMAGE):
                out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def bilinear(img, y, x, fill):
    """Bilinear value at pixel-centre coordinates (y, x); `fill` outside the image."""
    h, w = img.shape
    y0 = np.floor(y - 0.5).astype(int)
    x0 = np.floor(x - 0.5).astype(int)
    fy = y - 0.5 - y0
    fx = x - 0.5 - x0

    def px(yy, xx):
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        return np.where(ok, img[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], fill)

    top = (1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1)
    bottom = (1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1)
    return (1 - fy) * top + fy * bottom


def thumb(path, size=32):
    big = 2 * size
    with Image.open(path) as im:
        im.draft('L', (big, big))  # JPEG DCT scaling, as libvips' shrink-on-load
        img = np.asarray(im.convert('L').resize((big, big), Image.BOX), dtype=np.float64)
    lo = img.min()
    wgt = img - lo
    m = wgt.sum()
    c = np.arange(big) + 0.5
    cy = (wgt.sum(axis=1) * c).sum() / m if m > 0 else big / 2
    cx = (wgt.sum(axis=0) * c).sum() / m if m > 0 else big / 2
    step = big / size
    y = cy + (np.arange(size) + 0.5 - size / 2) * step
    x = cx + (np.arange(size) + 0.5 - size / 2) * step
    yy, xx = np.meshgrid(y, x, indexing='ij')
    q = step / 4
    out = sum(bilinear(img, yy + dy, xx + dx, lo) for dy in (-q, q) for dx in (-q, q)) / 4
    return out.ravel()


def main():
    root, out = sys.argv[1], sys.argv[2]
    floor = float(sys.argv[sys.argv.index('--floor') + 1]) if '--floor' in sys.argv else 0.9
    t0 = time.time()
    files = files_of(root)
    x = np.stack([thumb(os.path.join(root, f)) for f in files])
    t1 = time.time()
    x -= x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    ok = norm > 1e-9
    x[ok] /= norm[ok, None]
    x[~ok] = 0
    pairs = []
    block = 1024
    for a in range(0, len(files), block):
        r = x[a:a + block] @ x.T
        ii, jj = np.nonzero(r >= floor)
        for i, j in zip(ii, jj):
            i = int(i) + a
            j = int(j)
            if i < j:
                pairs.append([i, j, round(float(r[i - a, j]), 6)])
    with open(out, 'w') as f:
        json.dump({'files': files, 'floor': floor, 'decodeSeconds': t1 - t0, 'seconds': time.time() - t0, 'constant': int((~ok).sum()), 'pairs': pairs}, f)
    print(f'{len(files)} images, {len(pairs)} pairs with r >= {floor}, decode {t1 - t0:.1f} s, total {time.time() - t0:.1f} s')


if __name__ == '__main__':
    main()
