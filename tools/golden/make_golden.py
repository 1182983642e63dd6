#!/usr/bin/python3
"""Golden vectors for NodeMesh.TestSupport.Reference (the test oracles), computed with PyTorch.

Run with Debian's interpreter (it has python3-torch 1.13 and python3-numpy):

    /usr/bin/python3 tools/golden/make_golden.py

Writes tests/NodeMesh.Core.Tests/Golden/*.json (relative to the repository root, found from
this file's location). The output is deterministic: every case seeds torch.manual_seed itself.

Conventions
-----------
* Inputs, parameters and upstream gradients are drawn as float32; every computation is
  then done in float64 on those exact float32 values, and each result is rounded to float32
  when stored. The C# reference is therefore compared against the correctly-rounded answer.
* Every tensor is stored as {"shape": [...], "data": [...]}, data flattened row-major
  (C order), numbers written as the shortest decimal that round-trips the float32 value.
* Layouts are NodeMesh's checkpoint layouts:
    conv (shared) weight [Cout, Cin, k, k], bias [Cout]
    conv (local)  weight [Cout, H, W, Cin, k, k], bias [Cout, H, W]   (one kernel per output position)
    dense         weight [out, in], in flattened in PyTorch's (channel, row, column) order, bias [out]
* Loss: nn.CrossEntropyLoss (mean over the batch); optimiser: plain SGD w -= lr * grad.
* Residual blocks res(...) / ';convK...)' (issue 12): the block's input is added to its last
  conv's pre-activation (identity), or a shortcut conv's output on that input is (projection);
  parameters are listed in NodeMesh's layer order, a projection shortcut before its block's body.
"""

import copy
import json
import os
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "NodeMesh.Core.Tests", "Golden")


# ----------------------------------------------------------------------------------------
# serialisation


def f32(t):
    """float32-rounded numpy copy of a tensor."""
    return t.detach().to(torch.float32).cpu().numpy()


def tensor(t):
    a = f32(t)
    # repr(np.float32) is the shortest decimal that round-trips the float32 value.
    data = [float(repr(v)) for v in a.reshape(-1)]
    return {"shape": list(a.shape), "data": data}


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


def f32_input(*shape, scale=1.0, kind="randn"):
    """A float32 tensor (drawn in float32, scaled in float32)."""
    t = torch.randn(*shape) if kind == "randn" else torch.rand(*shape)
    return (t * scale).to(torch.float32)


# ----------------------------------------------------------------------------------------
# cases 1 and 2: conv2d forward + backward (shared weights)


def conv_case(name, seed, b, cin, h, w, cout, k, pad):
    torch.manual_seed(seed)
    x = f32_input(b, cin, h, w)
    wt = f32_input(cout, cin, k, k, scale=0.3)
    bias = f32_input(cout, scale=0.5)
    x64 = x.double().requires_grad_()
    w64 = wt.double().requires_grad_()
    b64 = bias.double().requires_grad_()
    y = F.conv2d(x64, w64, b64, stride=1, padding=pad)
    torch.manual_seed(seed + 1)
    dy = f32_input(*y.shape)
    y.backward(dy.double())
    write(name, {
        "description": f"conv2d stride 1 padding {pad}: x[B,Cin,H,W], weight[Cout,Cin,k,k], bias[Cout]; "
                       "y = conv2d(x); dx, dw, db are the gradients of sum(y * dy).",
        "padding": pad, "kernel": k,
        "x": tensor(x), "weight": tensor(wt), "bias": tensor(bias), "dy": tensor(dy),
        "y": tensor(y), "dx": tensor(x64.grad), "dweight": tensor(w64.grad), "dbias": tensor(b64.grad),
    })


# ----------------------------------------------------------------------------------------
# case 3: locally connected layer


def local_forward(x, weight, bias, pad, stride=1):
    """Locally connected conv: weight [Cout,OH,OW,Cin,k,k], bias [Cout,OH,OW]."""
    cout, oh, ow, cin, k, _ = weight.shape
    b = x.shape[0]
    cols = F.unfold(x, kernel_size=k, padding=pad, stride=stride)  # [B, Cin*k*k, OH*OW], rows in (c, ky, kx) order
    assert cols.shape[2] == oh * ow
    wmat = weight.reshape(cout, oh * ow, cin * k * k)
    y = torch.einsum("bkl,olk->bol", cols, wmat).reshape(b, cout, oh, ow)
    return y + bias.unsqueeze(0)


def local_case(name, seed, b, cin, h, w, cout, k):
    pad = k // 2
    torch.manual_seed(seed)
    x = f32_input(b, cin, h, w)
    wt = f32_input(cout, h, w, cin, k, k, scale=0.3)
    bias = f32_input(cout, h, w, scale=0.5)
    x64 = x.double().requires_grad_()
    w64 = wt.double().requires_grad_()
    b64 = bias.double().requires_grad_()
    y = local_forward(x64, w64, b64, pad)
    torch.manual_seed(seed + 1)
    dy = f32_input(*y.shape)
    y.backward(dy.double())
    write(name, {
        "description": f"locally connected layer, stride 1, same padding {pad}: weight[Cout,H,W,Cin,k,k], "
                       "bias[Cout,H,W] (one kernel per output position); torch via F.unfold + einsum.",
        "padding": pad, "kernel": k,
        "x": tensor(x), "weight": tensor(wt), "bias": tensor(bias), "dy": tensor(dy),
        "y": tensor(y), "dx": tensor(x64.grad), "dweight": tensor(w64.grad), "dbias": tensor(b64.grad),
    })


# ----------------------------------------------------------------------------------------
# case 4: pooling on an odd-sized map (floor)


def pool_case(name, seed):
    torch.manual_seed(seed)
    x = f32_input(2, 3, 5, 7)
    out = {
        "description": "max/avg pooling, window = stride = K, floor of odd sizes, on x[2,3,5,7]; "
                       "dx is the gradient of sum(y * dy) (rows/columns cut off by the floor get 0).",
        "x": tensor(x),
    }
    for k in (2, 3):
        for kind, fn in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
            x64 = x.double().requires_grad_()
            y = fn(x64, kernel_size=k, stride=k)
            dy = f32_input(*y.shape)
            y.backward(dy.double())
            out[f"{kind}{k}"] = {"k": k, "dy": tensor(dy), "y": tensor(y), "dx": tensor(x64.grad)}
    write(name, out)


# ----------------------------------------------------------------------------------------
# case 5 (and 6): whole-network SGD, shared (nn.Conv2d) and locally connected


class LocallyConnected2d(nn.Module):
    """The conv's stride and padding; initialised by broadcasting a Conv2d's kernel to every output position."""

    def __init__(self, conv, h, w):
        super().__init__()
        k = conv.kernel_size[0]
        self.pad = conv.padding[0]
        self.stride = conv.stride[0]
        oh, ow = conv_out(h, k, self.stride, self.pad), conv_out(w, k, self.stride, self.pad)
        cout, cin = conv.out_channels, conv.in_channels
        weight = conv.weight.detach()[:, None, None].expand(cout, oh, ow, cin, k, k).clone()
        bias = conv.bias.detach()[:, None, None].expand(cout, oh, ow).clone()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)

    def forward(self, x):
        return local_forward(x, self.weight, self.bias, self.pad, self.stride)


class GlobalAvgPool(nn.Module):
    """NodeMesh's gap: the mean over each whole map, output 1x1."""

    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=True)


def conv_out(n, k, stride, pad):
    return (n + 2 * pad - k) // stride + 1


CONV = re.compile(r"^conv(\d+)x(\d+)x(\d+)(?:s(\d+))?(?:p(\d+|same|valid))?$")
POOL = re.compile(r"^(max|avg)pool(\d+)(?:s(\d+))?$")


class Residual(nn.Module):
    """NodeMesh's res(...) block: body(x) + x (identity), or body(x) + shortcut(x) (projection conv).

    The add is on the last conv's pre-activation; the ops after ')' follow the block in the outer list.
    """

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = nn.Sequential(*body)
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


def tokens(arch):
    """NodeMesh's tokens: 'res(', the block's layers, then ')' or ';convK...)' (the projection shortcut)."""
    out = []
    for tok in arch.replace("res(", "res(,").replace(";", ",;").split(","):
        if tok.endswith(")") and not tok.startswith(";") and tok != ")":
            out += [tok[:-1], ")"]
        else:
            out.append(tok)
    return out


def make_conv(tok, c, h, w):
    conv = CONV.match(tok)
    if not conv:
        raise ValueError(tok)
    k, maps = int(conv.group(1)), int(conv.group(3))
    stride = int(conv.group(4) or 1)
    p = conv.group(5) or "same"
    pad = k // 2 if p == "same" else 0 if p == "valid" else int(p)
    return nn.Conv2d(c, maps, k, stride=stride, padding=pad), maps, conv_out(h, k, stride, pad), conv_out(w, k, stride, pad)


def build_shared(arch, c, h, w, classes):
    """Builds (modules, weighted) from an arch string (NodeMesh's grammar); weighted lists the parameterised modules
    in NodeMesh's layer order (a projection shortcut before its block's first conv)."""
    mods = []
    outer, block_in = None, None  # the enclosing list and the input shape while a res( block is open
    for tok in tokens(arch):
        pool = POOL.match(tok)
        if CONV.match(tok):
            m, c, h, w = make_conv(tok, c, h, w)
            mods.append(m)
        elif tok.startswith("dense"):
            n = int(tok[5:])
            mods.append(nn.Flatten())  # (channel, row, column) order
            m = nn.Linear(c * h * w, n)
            mods.append(m)
            c, h, w = n, 1, 1
        elif tok == "relu":
            mods.append(nn.ReLU())
        elif tok == "tanh":
            mods.append(nn.Tanh())
        elif pool:
            k = int(pool.group(2)); s = int(pool.group(3) or k)
            mods.append((nn.MaxPool2d if pool.group(1) == "max" else nn.AvgPool2d)(k, s))
            h, w = (h - k) // s + 1, (w - k) // s + 1
        elif tok == "gap":
            mods.append(GlobalAvgPool()); h, w = 1, 1
        elif tok == "res(":
            assert outer is None, "residual blocks cannot nest"
            outer, block_in, mods = mods, (c, h, w), []
        elif tok == ")" or (tok.startswith(";") and tok.endswith(")")):
            shortcut = None
            if tok != ")":
                shortcut, sc, sh, sw = make_conv(tok[1:-1], *block_in)
                assert (sc, sh, sw) == (c, h, w), (tok, (sc, sh, sw), (c, h, w))
            else:
                assert block_in == (c, h, w), (block_in, (c, h, w))
            outer.append(Residual(mods, shortcut))
            mods, outer, block_in = outer, None, None
        else:
            raise ValueError(tok)
    assert c == classes and outer is None
    return mods, weighted_of(mods)


def weighted_of(mods):
    """The parameterised modules in NodeMesh's layer order (a block's projection shortcut before its body)."""
    out = []
    for m in mods:
        if isinstance(m, Residual):
            if m.shortcut is not None:
                out.append(m.shortcut)
            out += weighted_of(m.body)
        elif isinstance(m, (nn.Conv2d, nn.Linear, LocallyConnected2d)):
            out.append(m)
    return out


def to_local(mods, c, h, w):
    """Replaces each Conv2d by a LocallyConnected2d with the conv's kernel at every position."""
    return _to_local(mods, c, h, w)[0]


def _to_local(mods, c, h, w):
    out = []
    for m in mods:
        if isinstance(m, nn.Conv2d):
            out.append(LocallyConnected2d(m, h, w))
            k, s, p = m.kernel_size[0], m.stride[0], m.padding[0]
            c, h, w = m.out_channels, conv_out(h, k, s, p), conv_out(w, k, s, p)
        elif isinstance(m, Residual):
            shortcut = None if m.shortcut is None else LocallyConnected2d(m.shortcut, h, w)
            body, c, h, w = _to_local(m.body, c, h, w)
            out.append(Residual(body, shortcut))
        else:
            if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
                k, s = m.kernel_size, m.stride
                h, w = (h - k) // s + 1, (w - k) // s + 1
            elif isinstance(m, GlobalAvgPool):
                h, w = 1, 1
            out.append(m)
    return out, c, h, w


def net_case(name, seed, arch, c, h, w, classes, batch, steps, lr):
    torch.manual_seed(seed)
    mods, _ = build_shared(arch, c, h, w, classes)  # PyTorch default init, float32
    images = [torch.rand(batch, c, h, w, dtype=torch.float32) for _ in range(steps)]
    labels = [torch.randint(0, classes, (batch,)) for _ in range(steps)]

    initial = [{"weight": tensor(m.weight), "bias": tensor(m.bias)} for m in weighted_of(mods)]
    out = {
        "description": "whole-network SGD: CrossEntropyLoss (mean), plain SGD, one fixed batch per step; "
                       "both modes start from the same PyTorch default init (local = shared kernel broadcast "
                       "to every position). 'initial' is in the shared layout; loss[i] is the loss of step i "
                       "before its update; logits0 are the initial logits of batch 0 (identical in both modes).",
        "arch": arch, "channels": c, "height": h, "width": w, "classes": classes,
        "batch": batch, "steps": steps, "lr": lr,
        "images": [tensor(t) for t in images],
        "labels": [[int(v) for v in t] for t in labels],
        "initial": initial,
    }
    loss_fn = nn.CrossEntropyLoss(reduction="mean")
    for mode in ("shared", "local"):
        fresh = copy.deepcopy(mods)
        net = nn.Sequential(*(to_local(fresh, c, h, w) if mode == "local" else fresh)).double()
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.0, weight_decay=0.0)
        losses = []
        with torch.no_grad():
            logits0 = net(images[0].double())
        for s in range(steps):
            opt.zero_grad()
            loss = loss_fn(net(images[s].double()), labels[s])
            losses.append(float(np.float32(loss.item())))
            loss.backward()
            opt.step()
        out[mode] = {
            "logits0": tensor(logits0),
            "loss": [float(repr(np.float32(v))) for v in losses],
            "final": [{"weight": tensor(m.weight), "bias": tensor(m.bias)} for m in weighted_of(net)],
        }
    write(name, out)


def main():
    torch.set_num_threads(1)
    conv_case("conv2d_k3.json", 101, b=3, cin=2, h=6, w=5, cout=3, k=3, pad=1)
    conv_case("conv2d_k5.json", 202, b=2, cin=4, h=7, w=7, cout=2, k=5, pad=2)
    local_case("local_k3.json", 303, b=2, cin=3, h=5, w=6, cout=2, k=3)
    pool_case("pool_5x7.json", 404)
    net_case("net_sgd.json", 505, "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10",
             c=1, h=12, w=12, classes=10, batch=4, steps=3, lr=0.05)
    # Extra: tanh, avgpool, odd non-square 2-channel input, a conv without pooling, 5x5 kernel.
    net_case("net_sgd_tanh_avg.json", 606, "conv3x3x3,tanh,avgpool2,conv5x5x4,relu,dense10",
             c=2, h=11, w=13, classes=10, batch=3, steps=3, lr=0.05)
    # Stride 2 with padding 1, an even kernel with explicit padding, an overlapping max pool
    # (3 by 2), an even valid kernel, an overlapping average pool (2 by 1) and global average
    # pooling (issue 12).
    net_case("net_sgd_strided.json", 707, "conv3x3x3s2p1,relu,conv4x4x4p1,relu,maxpool3s2,conv2x2x5pvalid,tanh,avgpool2s1,gap,dense10",
             c=1, h=17, w=19, classes=10, batch=4, steps=3, lr=0.05)
    # Residual blocks (issue 12): an identity block, then a block whose first conv has stride 2
    # with a 1x1 stride-2 projection shortcut, on an odd non-square 2-channel input (9x7 -> 5x4).
    net_case("net_sgd_residual.json", 808,
             "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x6s2,relu,conv3x3x6;conv1x1x6s2pvalid),relu,gap,dense10",
             c=2, h=9, w=7, classes=10, batch=4, steps=3, lr=0.05)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".json"))
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
