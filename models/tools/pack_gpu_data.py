"""Packs the 128 px faces small enough to travel to the GPU machine with the working tree.

    cd models && /usr/bin/python3 tools/pack_gpu_data.py \
        --data ../../shared/data/utkface200/train.tar --out runs/gpu-data/utkface200-128.npz

The device tool sends the repository and the paths named in `carry`, 64 MiB in all; the
shared data folder beside the checkout does not travel, and the 200 px tar (126 MB) or the
decoded 128 px cache (1.1 GB) would not fit. This writes the split's train and held-out
faces, already resized to 128 px (smgan.data: Lanczos), as lossy WebP (quality 75, method 6:
about 1.4 kB a face, 33 MB in all; 36.8 dB PSNR against the 128 px faces, so the coding
error is about 1/25 of a reconstruction's) in one .npz (names, offsets, bytes), each named
`<UTKFace name>.webp`, so smgan.data reads it like the tar and splits it by the same names;
the duplicates of held-out faces are left out.
Figures measured on the GPU from it are checked again here on the clean 128 px faces
(smgan.evaluate with the 200 px tar).
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from smgan.data import load_split, read_face_files, split_names, write_face_pack  # noqa: E402

TRAVEL_LIMIT = 64 * 2**20


def working_tree_bytes(repo: str) -> int:
    """What the device tool sends besides `carry`: tracked and untracked, not ignored, files."""
    total = 0
    for args in (["ls-files", "-z"], ["ls-files", "-z", "--others", "--exclude-standard"]):
        out = subprocess.run(["git", "-C", repo, *args], capture_output=True, check=True).stdout
        for rel in out.split(b"\0"):
            path = os.path.join(repo.encode(), rel)
            if rel and os.path.isfile(path):
                total += os.path.getsize(path)
    return total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="the 200 px UTKFace tar")
    p.add_argument("--out", required=True)
    p.add_argument("--cache", default="runs/cache", help="decoded-faces cache (smgan.data)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--quality", type=int, default=75)
    a = p.parse_args(argv)
    started = time.time()
    train, test, info = load_split(a.data, a.cache, a.size)
    # the cached arrays follow split_names' sorted lists: recompute them from the tar
    order, test_names, _ = split_names(read_face_files(a.data))
    if len(order) != len(train) or test_names != info["test_names"]:
        raise SystemExit(f"cache and tar disagree: {len(order)} train names, {len(train)} cached faces")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    # one .npz (names, offsets, concatenated WebP bytes): a tar's 512-byte headers and padding
    # would add about 0.6 kB to every 1.4 kB face
    packed = {}
    for arr, names_ in ((train, order), (test, test_names)):
        for i, name in enumerate(names_):
            buf = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(arr[i].transpose(1, 2, 0))).save(
                buf, format="WEBP", quality=a.quality, method=6)
            packed[name + ".webp"] = buf.getvalue()
    write_face_pack(a.out, packed)
    size = os.path.getsize(a.out)
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                          check=True).stdout.strip()
    tree = working_tree_bytes(repo)
    print(f"{a.out}: {len(order)} train + {len(info['test_names'])} held-out faces at {a.size} px, "
          f"WebP q{a.quality}, {size / 1e6:.1f} MB; with the working tree ({tree / 1e6:.1f} MB) "
          f"{(size + tree) / 2**20:.1f} MiB of the device tool's 64 MiB; {time.time() - started:.0f} s")
    if size + tree > TRAVEL_LIMIT:
        raise SystemExit("too large to travel: lower --quality")


if __name__ == "__main__":
    main()
