"""Writes a smaller copy of a training checkpoint.

    /usr/bin/python3 -m smgan.slim --checkpoint runs/utkface/best.pt --out ship.pt
    /usr/bin/python3 -m smgan.slim --checkpoint runs/utkface/latest.pt --out state.pt --part training

`--part ship` (default) keeps what the converter reads (g_ema, e_ema, train_args) plus the
step and the metrics; `--part training` keeps the live networks (generator, encoder,
discriminator) without optimiser state. `--merge ship.pt state.pt` joins the two back into
a checkpoint that `smgan.train` resumes from (Adam restarts with zero moments).
"""
from __future__ import annotations

import argparse

import torch

from .checkpoint import ConvertError, safe_torch_load

SHIP_KEYS = ("g_ema", "e_ema", "train_args", "step", "metrics", "best")
TRAINING_KEYS = ("generator", "encoder", "discriminator", "train_args", "step", "best")


def load(path: str) -> dict:
    # training files pickle argparse.Namespace (train_args) and optimiser state: the restricted
    # unpickler reads them and refuses anything that would run code
    return safe_torch_load(path)


def save(obj: dict, path: str) -> None:
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    import os

    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint")
    p.add_argument("--part", choices=("ship", "training"), default="ship")
    p.add_argument("--merge", nargs=2, metavar=("SHIP", "TRAINING"))
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.merge:
        ship, training = load(a.merge[0]), load(a.merge[1])
        if ship.get("step") != training.get("step"):
            p.error(f"steps differ: {a.merge[0]} is at {ship.get('step')}, {a.merge[1]} at {training.get('step')}")
        save({**training, **ship}, a.out)
        return
    if not a.checkpoint:
        p.error("--checkpoint is required unless --merge is given")
    ck = load(a.checkpoint)
    keys = SHIP_KEYS if a.part == "ship" else TRAINING_KEYS
    save({k: ck[k] for k in keys if k in ck}, a.out)


if __name__ == "__main__":
    try:
        main()
    except ConvertError as exc:  # an unsafe or unreadable file: one line, stable code
        raise SystemExit(f"{exc.code}: {exc}") from None
