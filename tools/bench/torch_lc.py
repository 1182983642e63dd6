#!/usr/bin/python3
"""Training throughput of the reference net in PyTorch: locally connected (unfold + einsum) or Conv2d.

Run by hand with Debian's interpreter (python3-torch 1.13); nothing in the test suite needs it:

    /usr/bin/python3 tools/bench/torch_lc.py --net lc --steps 40
    /usr/bin/python3 tools/bench/torch_lc.py --net conv2d --steps 40 --threads 1

The net is NodeMesh's reference architecture, conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,
dense10 on 28x28x1, trained like `nodemesh bench` trains it: plain SGD (lr 0.05, no momentum),
mean cross-entropy, batch 32, samples in a seeded shuffled order. Like `nodemesh bench`, it trains
a warm-up epoch of --steps batches and then times an epoch of --steps batches, forward, backward
and update included, and prints one JSON line:

    {"net": "lc", "threads": 2, "batch": 32, "steps": 40, "seconds": ..., "samples_per_second": ...}

The locally connected layer keeps one kernel and bias per output position, weight
[Cout, H*W, Cin*k*k] and bias [Cout, H*W], and computes every position's dot product with
F.unfold and one einsum: PyTorch has no locally connected layer, and this is the usual way to
write one. Kernels are drawn He-normal per position with zero biases (NodeMesh's
--unit-init he-normal); the draw does not change the timing.

tools/bench/vs_torch.sh runs this and `nodemesh bench` in alternation and prints their ratio.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = magic & 0xFF
        shape = struct.unpack(">" + "I" * dims, f.read(4 * dims))
        data = f.read()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(shape)


def find(folder, stem):
    for name in (stem + "-idx3-ubyte.gz", stem + "-idx1-ubyte.gz", stem + "-idx3-ubyte", stem + "-idx1-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    sys.exit(f"error: no {stem}-idx?-ubyte[.gz] in {folder}; give --data DIR with Fashion-MNIST's IDX files "
             "(Debian: apt-get install dataset-fashion-mnist)")


class LocallyConnected(nn.Module):
    """k x k, stride 1, 'same' padding, one kernel and bias per output position."""

    def __init__(self, cin, cout, size, k):
        super().__init__()
        self.k, self.size, self.cout = k, size, cout
        fan_in = cin * k * k
        self.weight = nn.Parameter(torch.randn(cout, size * size, fan_in) * (2.0 / fan_in) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(cout, size * size))

    def forward(self, x):
        patches = F.unfold(x, self.k, padding=self.k // 2)          # [B, Cin*k*k, H*W]
        y = torch.einsum("bfp,opf->bop", patches, self.weight) + self.bias
        return y.reshape(x.shape[0], self.cout, self.size, self.size)


def build(net):
    if net == "lc":
        c1, c2 = LocallyConnected(1, 16, 28, 5), LocallyConnected(16, 32, 14, 5)
    else:
        c1, c2 = nn.Conv2d(1, 16, 5, padding=2), nn.Conv2d(16, 32, 5, padding=2)
    return nn.Sequential(c1, nn.ReLU(), nn.MaxPool2d(2), c2, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def epoch(model, opt, images, labels, order, batch):
    for s in range(len(order) // batch):
        idx = order[s * batch:(s + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images[idx]), labels[idx])
        loss.backward()
        opt.step()
    return float(loss)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--net", choices=["lc", "conv2d"], default="lc", help="locally connected (unfold + einsum) or Conv2d [lc]")
    p.add_argument("--steps", type=int, default=40, help="timed steps, after as many warm-up steps [40]")
    p.add_argument("--batch", type=int, default=32, help="mini-batch size [32]")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads [2]")
    p.add_argument("--lr", type=float, default=0.05, help="SGD learning rate [0.05]")
    p.add_argument("--seed", type=int, default=1, help="seed of the init and the sample order [1]")
    p.add_argument("--data", default=DEFAULT_DATA, help=f"folder of Fashion-MNIST's IDX files [{DEFAULT_DATA}]")
    a = p.parse_args()
    for name in ("steps", "batch", "threads"):
        if getattr(a, name) < 1:
            sys.exit(f"error: --{name} must be at least 1 (got {getattr(a, name)})")
    if not os.path.isdir(a.data):
        sys.exit(f"error: --data {a.data} is not a folder; give the folder of Fashion-MNIST's IDX files")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images = read_idx(find(a.data, "train-images")).to(torch.float32).div_(255.0).unsqueeze(1)
    labels = read_idx(find(a.data, "train-labels")).to(torch.long)
    need = 2 * a.steps * a.batch
    if need > len(images):
        sys.exit(f"error: 2 x --steps x --batch = {need} samples, more than the {len(images)} there are")
    order = torch.randperm(len(images))
    model = build(a.net)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    n = a.steps * a.batch
    epoch(model, opt, images, labels, order[:n], a.batch)              # warm-up
    start = time.perf_counter()
    loss = epoch(model, opt, images, labels, order[n:2 * n], a.batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"net": a.net, "threads": a.threads, "batch": a.batch, "steps": a.steps,
                      "seconds": round(seconds, 4), "samples_per_second": round(n / seconds, 1),
                      "last_loss": round(loss, 4), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
