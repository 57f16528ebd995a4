#!/usr/bin/python3
"""PyTorch yardstick for bench/train.ts: training images/s on one CPU core for the
same networks softlab trains with TensorFlow.js (the default compact ResNet, width
12, and the 78k width-16 one at 48x48x1; ResNet-18 at 64x64x1; batch 32, Adam, soft
cross-entropy).

Uses Debian's python3-torch through /usr/bin/python3 (pyenv's python3, first on
PATH, cannot reach PyPI); installs it with apt-get when it is missing.
Prints a table and, with --json FILE, writes the figures for bench/train.ts.

    /usr/bin/python3 bench/train-torch.py [--runs 5] [--steps 20] [--json out.json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def ensure_torch():
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    print("python3-torch is missing: apt-get install -y python3-torch", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "python3-torch"], check=True, env=env)


ensure_torch()
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class Net(nn.Module):
    """compact: 3x3 stem at full resolution, one basic block per stage at w, 2w, 4w.
    resnet18: 7x7/2 stem + 3x3/2 max-pool, [2, 2, 2, 2] basic blocks at 64..512."""

    def __init__(self, arch, width, channels, classes):
        super().__init__()
        if arch == "compact":
            self.stem = nn.Sequential(nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
            plan = [1, 1, 1]
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(channels, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(3, 2, 1)
            )
            plan = [2, 2, 2, 2]
        blocks, cin = [], width
        for s, n in enumerate(plan):
            cout = width * 2**s
            for i in range(n):
                blocks.append(Basic(cin, cout, 2 if (i == 0 and s > 0) else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(x.mean((2, 3)))


CONFIGS = [
    {"name": "compact w12 (default) 48x48x1", "arch": "compact", "width": 12, "input": 48},
    {"name": "compact w16 (78k yardstick) 48x48x1", "arch": "compact", "width": 16, "input": 48},
    {"name": "resnet18 64x64x1", "arch": "resnet18", "width": 64, "input": 64},
]


def bench(cfg, batch, steps, runs):
    torch.manual_seed(1)
    net = Net(cfg["arch"], cfg["width"], 1, 5)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, cfg["input"], cfg["input"]) * 255 / 64 - 2
    t = torch.softmax(torch.randn(batch, 5), 1)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -(t * F.log_softmax(net(x), 1)).sum(1).mean()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    rates, cpu_rates = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(steps):
            step()
        rates.append(steps * batch / (time.perf_counter() - t0))
        cpu_rates.append(steps * batch / (time.process_time() - c0))
    return params, rates, cpu_rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = {"torch": torch.__version__, "threads": a.threads, "batch": a.batch, "results": []}
    print(f"PyTorch {torch.__version__}, {a.threads} thread(s), batch {a.batch}, median of {a.runs} runs (shared cores: wall time is noisy, CPU time less so)")
    for cfg in CONFIGS:
        steps = a.steps if cfg["arch"] == "compact" else max(a.steps // 4, 3)
        params, rates, cpu_rates = bench(cfg, a.batch, steps, a.runs)
        med = statistics.median(rates)
        cmed = statistics.median(cpu_rates)
        out["results"].append(
            {"name": cfg["name"], "arch": cfg["arch"], "input": cfg["input"], "params": params,
             "images_per_second": med, "images_per_cpu_second": cmed, "runs": rates}
        )
        print(f"  {cfg['name']:<36} {params:>10,} params  {med:8.1f} img/s wall  {cmed:8.1f} img/s CPU time  (wall runs: {', '.join(f'{r:.0f}' for r in rates)})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
