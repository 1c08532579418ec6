"""Measures a checkpoint on the held-out faces: reconstruction PSNR/MSE and local-edit errors.

    /usr/bin/python3 -m smgan.evaluate --checkpoint runs/utkface/best.pt --data ../shared/data/utkface64/train.tar
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from .checkpoint import ConvertError, load_checkpoint
from .data import load_faces, to_model_range
from .metrics import evaluate, save_sample_grids


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--cache", default=None)
    p.add_argument("--samples", default=None, help="folder for sample grids (held-out faces only)")
    a = p.parse_args(argv)
    g, e, cfg = load_checkpoint(a.checkpoint)
    _, test_u8, _ = load_faces(a.data, cache_dir=a.cache, size=cfg.size)
    with torch.no_grad():
        test = to_model_range(test_u8)
        metrics = evaluate(g, e, test)
        if a.samples:
            z = torch.randn(16, cfg.latent_channel_size, generator=torch.Generator().manual_seed(7))
            save_sample_grids(a.samples, g, e, test, z)
    print(json.dumps(metrics))


if __name__ == "__main__":
    try:
        main()
    except ConvertError as exc:  # an unreadable or mismatched checkpoint: one line, stable code
        raise SystemExit(f"{exc.code}: {exc}") from None
