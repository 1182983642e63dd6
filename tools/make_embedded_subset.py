#!/usr/bin/env python3
"""Make the embedded Fashion-MNIST subset shipped in src/NodeMesh.Core/Data/Embedded/.

Reads the full Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist package,
/usr/share/datasets/fashion-mnist), keeps the first 2,000 training and the first 500 test
examples in their original order, and writes them as gzip IDX files with the standard names.
The gzip output is deterministic (mtime 0, no file name), so rerunning gives identical bytes.

Usage: python3 tools/make_embedded_subset.py [SOURCE_DIR] [OUTPUT_DIR]
Python 3 standard library only.
"""
import gzip
import io
import os
import struct
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = "/usr/share/datasets/fashion-mnist"
OUTPUT = os.path.join(REPO, "src", "NodeMesh.Core", "Data", "Embedded")
TRAIN_COUNT = 2000
TEST_COUNT = 500
IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801


def read_idx(path):
    """Returns (magic, dims, payload bytes) of a gzip or raw IDX file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic = struct.unpack(">I", data[:4])[0]
    ndims = magic & 0xFF
    dims = list(struct.unpack(">" + "I" * ndims, data[4:4 + 4 * ndims]))
    payload = data[4 + 4 * ndims:]
    expected = 1
    for d in dims:
        expected *= d
    if len(payload) != expected:
        raise SystemExit(f"{path}: payload is {len(payload)} bytes, header promises {expected}")
    return magic, dims, payload


def write_subset(source_dir, output_dir, name, expected_magic, count):
    src = os.path.join(source_dir, name + ".gz")
    if not os.path.exists(src):
        src = os.path.join(source_dir, name)
    magic, dims, payload = read_idx(src)
    if magic != expected_magic:
        raise SystemExit(f"{src}: magic 0x{magic:08x}, expected 0x{expected_magic:08x}")
    if dims[0] < count:
        raise SystemExit(f"{src}: only {dims[0]} items, need {count}")
    item = len(payload) // dims[0]
    dims[0] = count
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    raw = header + payload[:count * item]
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    dst = os.path.join(output_dir, name + ".gz")
    with open(dst, "wb") as f:
        f.write(buf.getvalue())
    print(f"{dst}: dims {dims}, {len(buf.getvalue())} bytes gzip")


def main():
    source_dir = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    output_dir = sys.argv[2] if len(sys.argv) > 2 else OUTPUT
    os.makedirs(output_dir, exist_ok=True)
    write_subset(source_dir, output_dir, "train-images-idx3-ubyte", IMAGE_MAGIC, TRAIN_COUNT)
    write_subset(source_dir, output_dir, "train-labels-idx1-ubyte", LABEL_MAGIC, TRAIN_COUNT)
    write_subset(source_dir, output_dir, "t10k-images-idx3-ubyte", IMAGE_MAGIC, TEST_COUNT)
    write_subset(source_dir, output_dir, "t10k-labels-idx1-ubyte", LABEL_MAGIC, TEST_COUNT)


if __name__ == "__main__":
    main()
