"""Exports a generator/encoder pair to a `stylemap-onnx/1` model folder (see ../FORMAT.md).

    /usr/bin/python3 -m smgan.export --checkpoint runs/utkface/best.pt --out utkface-64 --id utkface-64 ...
    /usr/bin/python3 -m smgan.export --random --size 64 --channel-cap 64 --small-generator --out /tmp/m

Besides the ONNX files, `write_parity_set` stores random inputs and the PyTorch outputs
for them, so the export can be checked with onnxruntime-node (models/tools/parity.ts).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
from torch import nn

from .networks import Encoder, Generator, ModelConfig

FORMAT = "stylemap-onnx/1"
OPSET = 16


class _Resizer(nn.Module):
    def __init__(self, g):
        super().__init__()
        self.resizer = g.decoder.convs_latent

    def forward(self, stylemap):
        return tuple(self.resizer(stylemap))


class _Synthesis(nn.Module):
    def __init__(self, g):
        super().__init__()
        self.decoder = g.decoder

    def forward(self, *styles):
        return self.decoder.synthesize(list(styles))


class _Modulation(nn.Module):
    """style_i (any height and width, one cell of border included) -> gamma_i, beta_i of the
    inside: 'valid' 3x3 convolutions, so a window of changed cells can run alone."""

    def __init__(self, g):
        super().__init__()
        self.decoder = g.decoder

    def forward(self, *styles):
        out = []
        for gamma, beta in self.decoder.modulations(list(styles), padding=0):
            out += [gamma, beta]
        return tuple(out)


def _pairs(flat) -> list:
    return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]


class _Features(nn.Module):
    """gamma_0, beta_0, ..., gamma_{L-1}, beta_{L-1} (whole maps) -> image."""

    def __init__(self, g):
        super().__init__()
        self.decoder = g.decoder

    def forward(self, *mods):
        return self.decoder.features(_pairs(mods))


class _Coarse(nn.Module):
    """gamma/beta of the layers before the fine part (whole maps) -> x, the map the fine part starts from."""

    def __init__(self, g):
        super().__init__()
        self.decoder = g.decoder

    def forward(self, *mods):
        return self.decoder.coarse(_pairs(mods))


class _Fine(nn.Module):
    """x (coarse's map or a window of it), the fine layers' gamma/beta on the same window,
    stats [N, fine layers, 2], frozen [1] (> 0.5: normalise with stats) -> image, used (the statistics used)."""

    def __init__(self, g):
        super().__init__()
        self.decoder = g.decoder

    def forward(self, x, *rest):
        return self.decoder.fine(x, _pairs(rest[:-2]), rest[-2], rest[-1] > 0.5)


class _Mapping(nn.Module):
    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, z):
        return self.g.map(z)


def modulations_meta(g) -> list[dict]:
    """model.json's `modulations`: gamma_i's channels, beta_i's where they differ (a layer whose
    beta comes through its 1x1 convolution), and their size (the size of style_i)."""
    sizes = [s for s in g.decoder.convs_latent.style_sizes]
    out = []
    for layer, size in zip(g.decoder.modulated_layers(), sizes):
        entry = {"channels": int(layer.conv.gamma.weight.shape[0]), "size": int(size)}
        if layer.conv.fold_beta:
            entry["betaChannels"] = int(layer.conv.weight.shape[1])
        out.append(entry)
    return out


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dynamic_axes(key: str, input_names, output_names) -> dict:
    """A dynamic batch everywhere; the modulation graph's windows have any height and width too."""
    dynamic = {name: {0: "N"} for name in input_names + output_names}
    if key == "modulation":
        for i, name in enumerate(input_names):
            dynamic[name] = {0: "N", 2: f"h{i}", 3: f"w{i}"}
        for j, name in enumerate(output_names):
            dynamic[name] = {0: "N", 2: f"h{j // 2}_inner", 3: f"w{j // 2}_inner"}
    if key == "fine":
        # a window: every spatial input and the image have any height and width
        for name in input_names[:-2] + output_names[:1]:
            dynamic[name] = {0: "N", 2: f"h_{name}", 3: f"w_{name}"}
        dynamic["frozen"] = {}
    return dynamic


def _export(key, module, args, path, input_names, output_names):
    dynamic = dynamic_axes(key, input_names, output_names)
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)


def graphs(g: Generator, e: Encoder):
    """(file key, module, example inputs, input names, output names) for every graph."""
    cfg = g.cfg
    c, s, r = cfg.latent_channel_size, cfg.latent_spatial_size, cfg.size
    w = torch.randn(2, c, s, s)
    styles = g.decoder.convs_latent(w)
    n_styles = len(styles)
    style_names = [f"style_{i}" for i in range(n_styles)]
    # windows of 3x3 cells and more (here: each style with its one-cell border)
    padded = tuple(torch.nn.functional.pad(t, (1, 1, 1, 1)).detach() for t in styles)
    mods = tuple(t.detach() for pair in g.decoder.modulations(styles) for t in pair)
    mod_names = [f"{kind}_{i}" for i in range(n_styles) for kind in ("gamma", "beta")]
    out = [
        ("encoder", e, (torch.randn(2, 3, r, r),), ["image"], ["stylemap"]),
        ("decoder", g.decoder, (w,), ["stylemap"], ["image"]),
        ("resizer", _Resizer(g), (w,), ["stylemap"], style_names),
        ("synthesis", _Synthesis(g), tuple(t.detach() for t in styles), style_names, ["image"]),
        ("modulation", _Modulation(g), padded, style_names, mod_names),
        ("features", _Features(g), mods, mod_names, ["image"]),
        ("mapping", _Mapping(g), (torch.randn(2, c),), ["z"], ["stylemap"]),
    ]
    if has_preview(g):
        cut = 2 * g.decoder.fine_layer()
        x = g.decoder.coarse(_pairs(mods[:cut]))
        _, stats = g.decoder.fine(x, _pairs(mods[cut:]), torch.zeros(2, (len(mods) - cut) // 2, 2), torch.tensor(False))
        # the fine graph is traced on a window of 3 x 2 cells of x (and the same window at every finer size)
        grid = x.shape[2]
        window = [t[:, :, : 3 * t.shape[2] // grid, : 2 * t.shape[3] // grid].contiguous() for t in mods[cut:]]
        out.append(("coarse", _Coarse(g), mods[:cut], mod_names[:cut], ["x"]))
        out.append(("fine", _Fine(g), (x[:, :, :3, :2].contiguous(), *window, stats.detach(), torch.ones(1)),
                    ["x", *mod_names[cut:], "stats", "frozen"], ["image", "used"]))
    return out


def has_preview(g) -> bool:
    """Whether the model gets the preview path's coarse and fine graphs (and features' stats output):
    the frozen statistics are one mean and one 1 / std per layer, as LayerNorm has."""
    return g.cfg.normalize_mode == "LayerNorm"


def preview_meta(g) -> dict:
    """model.json's `preview`: where the fine part starts (the first modulated layer it takes, and
    the size of coarse's map x) and its margin: a window of x grown by `margin` cells on every
    side gives the inside as a whole run with the same statistics does."""
    return {"fineLayer": g.decoder.fine_layer(), "grid": int(g.decoder.convs_latent.style_sizes[g.decoder.fine_layer()]),
            "channels": int(g.decoder.convs[g.decoder.fine_block()].conv1.conv.weight.shape[2]), "margin": 3}


@torch.no_grad()
def write_parity_set(g, e, out_dir: str, batches=(1, 3), seed=0) -> None:
    """Random inputs and PyTorch outputs for every graph, as raw float32 + parity.json."""
    gen = torch.Generator().manual_seed(seed)
    pdir = os.path.join(out_dir, "parity")
    os.makedirs(pdir, exist_ok=True)
    cases = []
    cfg = g.cfg
    c, s, r = cfg.latent_channel_size, cfg.latent_spatial_size, cfg.size
    for n in batches:
        image = torch.rand(n, 3, r, r, generator=gen) * 2 - 1
        w = torch.randn(n, c, s, s, generator=gen)
        z = torch.randn(n, c, generator=gen)
        styles = g.decoder.convs_latent(w)
        # a window of its own size per style (the modulation graph takes any size)
        windows = [torch.randn(n, t.shape[1], 3 + k % 4, 5 - k % 3, generator=gen) for k, t in enumerate(styles)]
        window_mods = [t for pair in g.decoder.modulations(windows, padding=0) for t in pair]
        mods = [t for pair in g.decoder.modulations(styles) for t in pair]
        mod_names = [f"{kind}_{i}" for i in range(len(styles)) for kind in ("gamma", "beta")]
        runs = {
            "encoder": ({"image": image}, {"stylemap": e(image)}),
            "decoder": ({"stylemap": w}, {"image": g.decoder(w)}),
            "resizer": ({"stylemap": w}, {f"style_{i}": t for i, t in enumerate(styles)}),
            "synthesis": ({f"style_{i}": t for i, t in enumerate(styles)}, {"image": g.decoder.synthesize(styles)}),
            "modulation": ({f"style_{i}": t for i, t in enumerate(windows)}, dict(zip(mod_names, window_mods))),
            "features": (dict(zip(mod_names, mods)), {"image": g.decoder.features(_pairs(mods))}),
            "mapping": ({"z": z}, {"stylemap": g.map(z)}),
        }
        if has_preview(g):
            cut = 2 * g.decoder.fine_layer()
            x = g.decoder.coarse(_pairs(mods[:cut]))
            whole, stats = g.decoder.fine(x, _pairs(mods[cut:]), torch.zeros(n, (len(mods) - cut) // 2, 2), torch.tensor(False))
            # a window of 4 x 3 cells of x, away from the top left corner where there is room
            grid = x.shape[2]
            y0, x0 = min(1, grid - 4), min(2, grid - 3)
            window = [t[:, :, y0 * t.shape[2] // grid:(y0 + 4) * t.shape[2] // grid, x0 * t.shape[3] // grid:(x0 + 3) * t.shape[3] // grid]
                      for t in mods[cut:]]
            xw = x[:, :, y0:y0 + 4, x0:x0 + 3]
            runs["coarse"] = (dict(zip(mod_names[:cut], mods[:cut])), {"x": x})
            image, _ = g.decoder.fine(xw, _pairs(window), stats, torch.tensor(True))
            runs["fine"] = ({"x": xw, **dict(zip(mod_names[cut:], window)), "stats": stats, "frozen": torch.ones(1)},
                            {"image": image, "used": stats})
            # not frozen, on whole maps: the rest of the feature path, and the statistics a draft freezes
            runs["fine#whole"] = ({"x": x, **dict(zip(mod_names[cut:], mods[cut:])), "stats": torch.zeros_like(stats), "frozen": torch.zeros(1)},
                                  {"image": whole, "used": stats})
        for key, (inputs, outputs) in runs.items():
            # a graph may run more than once: "graph#case"
            case = {"graph": key.split("#")[0], "batch": n, "inputs": {}, "outputs": {}}
            for kind, tensors in (("inputs", inputs), ("outputs", outputs)):
                for name, t in tensors.items():
                    fname = f"{key.replace('#', '-')}-b{n}-{kind}-{name}.bin"
                    t.float().contiguous().numpy().astype("<f4").tofile(os.path.join(pdir, fname))
                    case[kind][name] = {"file": fname, "shape": list(t.shape)}
            cases.append(case)
    with open(os.path.join(out_dir, "parity.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)


@torch.no_grad()
def export_folder(g: Generator, e: Encoder, out_dir: str, meta: dict, parity: bool = True) -> dict:
    """Writes the ONNX graphs and model.json into out_dir (which must be new or empty)."""
    g, e = g.eval(), e.eval()
    os.makedirs(out_dir, exist_ok=True)
    cfg = g.cfg
    files = {}
    style_meta = []
    for key, module, args, ins, outs in graphs(g, e):
        name = f"{key}.onnx"
        _export(key, module, args, os.path.join(out_dir, name), ins, outs)
        files[key] = name
        if key == "resizer":
            style_meta = [{"channels": int(t.shape[1]), "size": int(t.shape[2])} for t in module(args[0])]
    modulation_meta = modulations_meta(g)
    manifest = {
        "format": FORMAT,
        "id": meta["id"],
        "name": meta.get("name", meta["id"]),
        "resolution": cfg.size,
        "stylemap": {"channels": cfg.latent_channel_size, "size": cfg.latent_spatial_size},
        "styles": style_meta,
        "modulations": modulation_meta,
        **({"preview": preview_meta(g)} if has_preview(g) else {}),
        "mapping": {"zDim": cfg.latent_channel_size},
        "domain": meta.get("domain", "generic"),
        "files": files,
        "source": meta.get("source", "unknown"),
        "license": meta.get("license", "unknown"),
        "architecture": cfg.to_dict(),
        "sha256": {name: sha256_file(os.path.join(out_dir, name)) for name in files.values()},
        "default": bool(meta.get("default", False)),
    }
    if meta.get("alignment"):
        manifest["alignment"] = meta["alignment"]
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    if parity:
        write_parity_set(g, e, out_dir)
    return manifest


def random_models(cfg: ModelConfig, seed: int = 0):
    """Generator and encoder with random weights (biases perturbed so every path is exercised)."""
    torch.manual_seed(seed)
    g, e = Generator(cfg), Encoder(cfg)
    for m in (g, e):
        for name, p in m.named_parameters():
            if name.endswith("bias"):
                with torch.no_grad():
                    p.add_(torch.randn_like(p) * 0.1)
    return g.eval(), e.eval()


def main(argv=None):
    p = argparse.ArgumentParser(description="Export a model folder")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint")
    src.add_argument("--random", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("--id")
    p.add_argument("--name")
    p.add_argument("--license", default=None)
    p.add_argument("--source", default=None)
    p.add_argument("--domain", default="generic")
    p.add_argument("--default", action="store_true")
    p.add_argument("--no-parity", action="store_true")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--channel-multiplier", type=int, default=2)
    p.add_argument("--channel-cap", type=int, default=None)
    p.add_argument("--small-generator", action="store_true")
    a = p.parse_args(argv)

    if a.random:
        cfg = ModelConfig(size=a.size, channel_multiplier=a.channel_multiplier, channel_cap=a.channel_cap,
                          small_generator=a.small_generator)
        g, e = random_models(cfg)
        source, license_ = "random weights (for tests and benchmarks)", "none (random weights)"
    else:
        from .checkpoint import load_checkpoint

        g, e, cfg = load_checkpoint(a.checkpoint)
        source, license_ = os.path.basename(a.checkpoint), "unknown"
    meta = {
        "id": a.id or os.path.basename(os.path.abspath(a.out)),
        "name": a.name, "domain": a.domain, "default": a.default,
        "source": a.source or source, "license": a.license or license_,
    }
    meta["name"] = meta["name"] or meta["id"]
    parent = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=parent)
    os.chmod(staging, 0o755)
    try:
        export_folder(g, e, staging, meta, parity=not a.no_parity)
        if os.path.exists(a.out):
            shutil.rmtree(a.out)
        os.replace(staging, a.out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(json.dumps({"out": a.out, "id": meta["id"]}))


if __name__ == "__main__":
    sys.exit(main())
