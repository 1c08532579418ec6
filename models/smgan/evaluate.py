"""Measures a checkpoint on the held-out faces: reconstruction PSNR/MSE and local-edit errors.

    /usr/bin/python3 -m smgan.evaluate --checkpoint runs/utkface/best.pt --data ../shared/data/utkface64/train.tar
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from .checkpoint import load_checkpoint
from .data import load_faces, save_grid, to_model_range
from .metrics import evaluate, local_edit_errors


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
            os.makedirs(a.samples, exist_ok=True)
            held = test[:8]
            save_grid(os.path.join(a.samples, "reconstruction.png"), torch.cat([held, g(e(held))]), rows=2)
            edit = local_edit_errors(g, e, test[:8], test[8:16])["edited"]
            save_grid(os.path.join(a.samples, "local-edit-w.png"), torch.cat([test[:8], test[8:16], edit]), rows=3)
            z = torch.randn(16, cfg.latent_channel_size, generator=torch.Generator().manual_seed(7))
            save_grid(os.path.join(a.samples, "random.png"), g(g.map(z)), rows=2)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
