"""PyTorch reference for bench/kernels2d/run.ts: one train step (forward, cross-entropy, backward,
Adam) of the edge student and of the BN teacher CNN, batch 16, 128x128x3 (NCHW, PyTorch's default).

Usage: python3 pytorch_ref.py <edge|teacher> <threads> <reps> <warmup>
Prints one JSON line: median and min step time in ms.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn


def edge():
    layers = []
    c = 3
    for _ in range(2):
        layers += [nn.Conv2d(c, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c = 3
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(3 * 32 * 32, 4))


def teacher(widths=(32, 64, 128, 192)):
    layers = []
    c = 3
    for w in widths:
        layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2)]
        c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 4))


def main():
    which, threads, reps, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = edge() if which == "edge" else teacher()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(16, 3, 128, 128)
    y = torch.arange(16) % 4
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        t.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"model": which, "threads": threads, "medianMs": statistics.median(t), "minMs": min(t)}))


if __name__ == "__main__":
    main()
