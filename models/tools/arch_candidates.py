"""Exports random-weight model folders for candidate architectures, to time and size them.

    cd models && /usr/bin/python3 tools/arch_candidates.py --out /tmp/arch 128:8:64 128:16:96 ...

Each candidate is SIZE:LATENT_SIZE:CHANNEL_CAP[:LATENT_CHANNELS] (small generator, LayerNorm,
channel multiplier 2, like the bundled model). Writes OUT/<name>/ (the folder smgan.export
writes, without the parity set) and prints one JSON line per candidate: parameters of G
(mapping included), E and D, multiply-accumulates per image of the encoder and of the
decoder, and the folder's size. Time the edit with tools/edit-timing.ts.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from smgan.export import export_folder, random_models  # noqa: E402
from smgan.networks import Discriminator, ModelConfig, count_parameters  # noqa: E402


def parse(spec: str) -> ModelConfig:
    parts = [int(p) for p in spec.split(":")]
    size, latent, cap = parts[:3]
    channels = parts[3] if len(parts) > 3 else 64
    return ModelConfig(size=size, latent_spatial_size=latent, channel_cap=cap, latent_channel_size=channels,
                       small_generator=True)


def macs(module: torch.nn.Module, *inputs) -> int:
    """Multiply-accumulates of the convolutions (batch 1; every layer is a functional conv2d)."""
    total = 0
    # the networks use functional convolutions with equalised weights: count those by patching
    orig = torch.nn.functional.conv2d

    def counting_conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
        nonlocal total
        out = orig(x, w, bias, stride, padding, dilation, groups)
        total += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]
        return out

    torch.nn.functional.conv2d = counting_conv2d
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        torch.nn.functional.conv2d = orig
    return total


def folder_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("candidates", nargs="+", help="SIZE:LATENT_SIZE:CHANNEL_CAP[:LATENT_CHANNELS]")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    for spec in a.candidates:
        cfg = parse(spec)
        name = f"s{cfg.size}-l{cfg.latent_spatial_size}-c{cfg.channel_cap}-z{cfg.latent_channel_size}"
        out = os.path.join(a.out, name)
        if os.path.exists(out):
            shutil.rmtree(out)
        g, e = random_models(cfg)
        d = Discriminator(cfg)
        export_folder(g, e, out, {"id": name, "source": "random weights (architecture candidate)",
                                  "license": "none (random weights)"}, parity=False)
        row = {
            "name": name, "dir": out, "size": cfg.size, "latent_size": cfg.latent_spatial_size,
            "channel_cap": cfg.channel_cap, "latent_channels": cfg.latent_channel_size,
            "params_g_m": round(count_parameters(g) / 1e6, 2), "params_e_m": round(count_parameters(e) / 1e6, 2),
            "params_d_m": round(count_parameters(d) / 1e6, 2),
            "gmac_encoder": round(macs(e, torch.zeros(1, 3, cfg.size, cfg.size)) / 1e9, 3),
            "gmac_decoder": round(macs(g.decoder, torch.zeros(1, cfg.latent_channel_size, cfg.latent_spatial_size,
                                                              cfg.latent_spatial_size)) / 1e9, 3),
            "folder_mb": round(folder_bytes(out) / 1e6, 2),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
