"""Checkpoints shaped like the released StyleMapGAN files, with random weights, for the
importer's parity and memory checks: g_ema and e_ema beside the raw generator, encoder and
discriminator and three Adam optimiser states (one step taken, so each holds exp_avg and
exp_avg_sq per parameter, as a trained file does), in either torch.save layout.

    /usr/bin/python3 -m smgan.release_fixture --size 256 --layout legacy --out ck.pt [--small-generator] [--lean]

--lean leaves the training entries out (g_ema, e_ema, train_args only).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from .export import random_models
from .networks import Discriminator, ModelConfig


def _adam_state(module: torch.nn.Module) -> dict:
    params = [p for p in module.parameters() if p.requires_grad]
    optim = torch.optim.Adam(params, lr=0.002, betas=(0.0, 0.99))
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    optim.step()
    for p in params:
        p.grad = None
    return optim.state_dict()


def make(size: int, channel_multiplier: int, small_generator: bool, layout: str, lean: bool, seed: int, out: str) -> dict:
    train_args = argparse.Namespace(
        size=size, mapping_layer_num=8, latent_channel_size=64, latent_spatial_size=8, lr_mul=0.01,
        channel_multiplier=channel_multiplier, normalize_mode="LayerNorm", small_generator=small_generator,
        batch=16, lr=0.002, iter=0, dataset="random", r1=10, d_reg_every=16,
    )
    cfg = ModelConfig.from_train_args(train_args)
    g_ema, e_ema = random_models(cfg, seed=seed)
    ck = {"g_ema": g_ema.state_dict(), "e_ema": e_ema.state_dict()}
    if not lean:
        g, e = random_models(cfg, seed=seed + 1)
        d = Discriminator(cfg)
        ck.update({"generator": g.state_dict(), "encoder": e.state_dict(), "discriminator": d.state_dict(),
                   "g_optim": _adam_state(g), "d_optim": _adam_state(d), "e_optim": _adam_state(e)})
    ck["train_args"] = train_args
    torch.save(ck, out, _use_new_zipfile_serialization=(layout == "zip"))
    return {"out": out, "bytes": os.path.getsize(out), "layout": layout, "entries": list(ck)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--channel-multiplier", type=int, default=2)
    p.add_argument("--small-generator", action="store_true")
    p.add_argument("--layout", choices=("zip", "legacy"), default="zip")
    p.add_argument("--lean", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    print(json.dumps(make(a.size, a.channel_multiplier, a.small_generator, a.layout, a.lean, a.seed, a.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
