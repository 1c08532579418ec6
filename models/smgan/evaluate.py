"""Measures a checkpoint on the held-out faces: reconstruction PSNR/MSE and local-edit errors.

    /usr/bin/python3 -m smgan.evaluate --checkpoint runs/utkface/best.pt --data ../shared/data/utkface64/train.tar
"""
from __future__ import annotations

import argparse
import json

import torch

from .checkpoint import load_checkpoint
from .data import load_faces, to_model_range
from .metrics import evaluate


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--cache", default=None)
    a = p.parse_args(argv)
    g, e, cfg = load_checkpoint(a.checkpoint)
    _, test_u8, _ = load_faces(a.data, cache_dir=a.cache, size=cfg.size)
    with torch.no_grad():
        metrics = evaluate(g, e, to_model_range(test_u8))
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
