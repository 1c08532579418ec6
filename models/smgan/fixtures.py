"""Test fixtures: checkpoints in the released layout with random weights, and reference outputs.

    python3 -m smgan.fixtures checkpoint --size 128 --out ck.pt [--small-generator] [--break KIND]
    python3 -m smgan.fixtures reference --checkpoint ck.pt --out DIR --batch 1 --batch 3
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from .checkpoint import load_checkpoint
from .export import random_models, write_parity_set
from .networks import Discriminator, ModelConfig

BREAKS = ("missing-e-ema", "missing-key", "normalize", "not-a-dict", "pickled-code", "skip-blur")


class _MakesMarker:
    """Pickles as os.makedirs(path): a checkpoint that runs code when a plain unpickler loads it."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (os.makedirs, (self.path,))


def make_checkpoint(a) -> None:
    train_args = argparse.Namespace(
        size=a.size, mapping_layer_num=8, latent_channel_size=64, latent_spatial_size=8, lr_mul=0.01,
        channel_multiplier=a.channel_multiplier, normalize_mode="LayerNorm", small_generator=a.small_generator,
        batch=16, lr=0.002, iter=0, dataset="random",
    )
    cfg = ModelConfig.from_train_args(train_args)
    g, e = random_models(cfg, seed=a.seed)
    d = Discriminator(cfg)
    ck = {
        "g_ema": g.state_dict(), "e_ema": e.state_dict(),
        "generator": g.state_dict(), "encoder": e.state_dict(), "discriminator": d.state_dict(),
        "g_optim": {}, "d_optim": {}, "e_optim": {}, "train_args": train_args,
    }
    if a.break_ == "missing-e-ema":
        del ck["e_ema"]
    elif a.break_ == "missing-key":
        del ck["g_ema"][next(k for k in ck["g_ema"] if k.startswith("decoder.convs."))]
    elif a.break_ == "normalize":
        train_args.normalize_mode = "BatchNorm2d"
    elif a.break_ == "not-a-dict":
        ck = [1, 2, 3]
    elif a.break_ == "skip-blur":
        # an up-block skip with a box blur instead of the architecture's [1, 3, 3, 1]
        key = next(k for k in ck["g_ema"] if k.endswith(".skip.1.kernel"))
        ck["g_ema"][key] = torch.full_like(ck["g_ema"][key], 0.25)
    elif a.break_ == "pickled-code":
        ck["train_args"] = _MakesMarker(a.out + ".marker")
    torch.save(ck, a.out)


def make_reference(a) -> None:
    g, e, _ = load_checkpoint(a.checkpoint)
    os.makedirs(a.out, exist_ok=True)
    write_parity_set(g, e, a.out, batches=tuple(a.batch or (1, 3)), seed=a.seed + 100)


def main(argv=None):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("checkpoint")
    c.add_argument("--size", type=int, default=64)
    c.add_argument("--channel-multiplier", type=int, default=2)
    c.add_argument("--small-generator", action="store_true")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--break", dest="break_", choices=BREAKS)
    c.add_argument("--out", required=True)
    r = sub.add_parser("reference")
    r.add_argument("--checkpoint", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--batch", type=int, action="append")
    r.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    make_checkpoint(a) if a.cmd == "checkpoint" else make_reference(a)
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    sys.exit(main())
