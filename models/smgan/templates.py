"""Weightless graph templates: the model folder's ONNX graphs with every weight left out.

    /usr/bin/python3 -m smgan.templates --out templates            (from models/)
    /usr/bin/python3 -m smgan.templates --out templates --only 64-small-cm2

For each architecture in CONFIGS this exports the graphs export.py's `graphs()` makes
(encoder, decoder, resizer, synthesis, modulation, features, mapping, and for LayerNorm models
the preview path's coarse and fine), with constant folding off so that every
weight of the graph is a raw checkpoint tensor, and stores each such initializer as ONNX
external data in one of two files of the model folder: `encoder.weights` (e_ema) and
`generator.weights` (g_ema; the generator's graphs share it). A sidecar
`template.json` lists, in file order, every tensor of those files: its checkpoint key, dtype,
shape, offset and length. The TypeScript importer (src-main/torch/importCheckpoint.ts) copies
the graphs and streams a checkpoint's tensors into the data files; no Python is needed then.

Which checkpoint key an initializer holds is found by its values: the export runs on
weights where every tensor has values of its own, and each initializer is looked up among
the state dict's tensors (template.json's `transform` stays null: every weight is stored as
the checkpoint holds it; the graphs scale and slice them, which onnxruntime folds when a
session is created). An initializer that matches none is an error: the exporter transformed a
weight in a way the importer cannot reproduce.

Rebuild the templates (and commit them) whenever networks.py or layers.py change what the
graphs compute; src-main/torch/templates.test.ts and models/importParity.test.ts notice when
they are stale.

A rebuild that changes a template's graphs records the version it replaces in the template's
`history.json` (record_previous): the sha256 of its graphs and, where its data files hold every
tensor as the checkpoint does, their layout. Model folders imported with that version can then
be brought to today's graphs without their checkpoint (src-main/torch/upgradeFolder.ts): the
tensors move to today's offsets and the graphs are replaced.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .export import FORMAT, OPSET, dynamic_axes, graphs, has_preview, modulations_meta, preview_meta, sha256_file
from .networks import Encoder, Generator, ModelConfig

TEMPLATE_FORMAT = "stylemap-template/1"
HISTORY_FORMAT = "stylemap-template-history/1"
#: the architecture fields of train_args; a template is chosen by all of them
ARCHITECTURE_FIELDS = ("size", "mapping_layer_num", "latent_channel_size", "latent_spatial_size", "lr_mul",
                       "channel_multiplier", "normalize_mode", "small_generator", "channel_cap")
#: data file offsets are page aligned, so onnxruntime may map a tensor straight from the file
ALIGN = 4096
WEIGHT_FILES = {"g_ema": "generator.weights", "e_ema": "encoder.weights"}

#: name -> ModelConfig: the released 256 px models (celeba_hq, afhq, lsun_car, lsun_church),
#: 128 px with the released channel multiplier, the 64 px small generator the converter tests
#: use, and the bundled model's architecture (channel_cap 64, trained by smgan.train)
CONFIGS = {
    "256-cm2": ModelConfig(size=256, channel_multiplier=2),
    "128-cm2": ModelConfig(size=128, channel_multiplier=2),
    "64-small-cm2": ModelConfig(size=64, channel_multiplier=2, small_generator=True),
    "64-small-cap64": ModelConfig(size=64, channel_multiplier=2, small_generator=True, channel_cap=64),
}


def distinct_models(cfg: ModelConfig, seed: int = 0):
    """Generator and encoder whose every parameter and buffer holds values no other tensor has,
    so an exported initializer names its checkpoint tensor by its values alone."""
    torch.manual_seed(seed)
    g, e = Generator(cfg).eval(), Encoder(cfg).eval()
    with torch.no_grad():
        for m in (g, e):
            for t in m.state_dict().values():
                t.copy_(torch.randn_like(t) * 0.5 + 1.0)
    return g, e


def _digest(array: np.ndarray) -> str:
    a = np.ascontiguousarray(array, dtype="<f4")
    return hashlib.sha256(repr(a.shape).encode() + a.tobytes()).hexdigest()


def _export_plain(key, module, args, path, input_names, output_names) -> None:
    dynamic = dynamic_axes(key, input_names, output_names)
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=False)


def _layout(template: dict) -> dict | None:
    """A template's data file layout for history.json ([key, offset, length] per tensor); None
    where a tensor is stored transformed (the first templates folded upsampling weights), which
    cannot be moved into another layout without its checkpoint."""
    if any(t.get("transform") for w in template["weights"].values() for t in w["tensors"]):
        return None
    return {f: {"size": w["size"], "tensors": [[t["key"], t["offset"], t["length"]] for t in w["tensors"]]}
            for f, w in template["weights"].items()}


def record_previous(out_dir: str, previous: dict | None, current: dict) -> bool:
    """Adds `previous` (the template.json a rebuild replaces) to out_dir's history.json unless its
    graphs are `current`'s or recorded already; layouts are stored once and shared by index."""
    if previous is None:
        return False
    graphs = {f: previous["sha256"][f] for f in previous["files"].values()}
    if graphs == {f: current["sha256"][f] for f in current["files"].values()}:
        return False
    path = os.path.join(out_dir, "history.json")
    history = {"format": HISTORY_FORMAT, "layouts": [], "versions": []}
    if os.path.exists(path):
        with open(path) as f:
            history = json.load(f)
    if any(v["sha256"] == graphs for v in history["versions"]):
        return False
    layout = _layout(previous)
    index = None
    if layout is not None:
        if layout not in history["layouts"]:
            history["layouts"].append(layout)
        index = history["layouts"].index(layout)
    history["versions"].append({"sha256": graphs, "layout": index})
    with open(path, "w") as f:
        json.dump(history, f, separators=(",", ":"))
        f.write("\n")
    return True


def build_template(name: str, cfg: ModelConfig, out_dir: str) -> dict:
    """Writes one template folder (ONNX graphs + template.json) and returns template.json; the
    version it replaces goes to history.json (record_previous)."""
    previous = None
    if os.path.exists(os.path.join(out_dir, "template.json")):
        with open(os.path.join(out_dir, "template.json")) as f:
            previous = json.load(f)
    g, e = distinct_models(cfg)
    state: dict[str, torch.Tensor] = {}
    for prefix, m in (("g_ema", g), ("e_ema", e)):
        for k, v in m.state_dict(keep_vars=True).items():
            state[f"{prefix}.{k}"] = v.detach()
    # what a graph initializer may be: a checkpoint tensor as it is
    candidates: dict[str, tuple[str, torch.Tensor, dict | None]] = {}

    def add(key, tensor, transform):
        d = _digest(tensor.float().numpy())
        if d in candidates:
            raise RuntimeError(f"{key} has the same values as {candidates[d][0]}; cannot tell them apart")
        candidates[d] = (key, tensor, transform)

    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".template-")
    try:
        exported = {}
        files = {}
        style_meta = []
        with torch.no_grad():
            for key, tensor in state.items():
                add(key, tensor, None)
            for key, module, args, ins, outs in graphs(g, e):
                path = os.path.join(work, f"{key}.onnx")
                _export_plain(key, module, args, path, ins, outs)
                exported[key] = onnx.load(path)
                files[key] = f"{key}.onnx"
                if key == "resizer":
                    style_meta = [{"channels": int(t.shape[1]), "size": int(t.shape[2])} for t in module(args[0])]
        # every initializer that is a (transformed) checkpoint tensor goes to its network's data file
        used: dict[str, set[str]] = {f: set() for f in WEIGHT_FILES.values()}
        matched: dict[str, tuple[str, tuple]] = {}
        for key, model in exported.items():
            for init in model.graph.initializer:
                array = numpy_helper.to_array(init)
                found = candidates.get(_digest(array)) if array.dtype == np.float32 else None
                if found is None:
                    if array.size > 64:
                        raise RuntimeError(f"{key}.onnx initializer {init.name} {list(array.shape)} is no checkpoint tensor "
                                           "nor a transform the importer knows; the template cannot name it")
                    continue  # a small constant of the graph itself stays inside it
                matched[init.name + "@" + key] = (found[0], found)
                used[WEIGHT_FILES[found[0].split(".", 1)[0]]].add(found[0])
        layout: dict[str, dict] = {}
        order = list(state) + [k for k in (c[0] for c in candidates.values()) if k not in state]
        by_key = {c[0]: c for c in candidates.values()}
        for file_name, keys in used.items():
            offset = 0
            tensors = []
            for ck_key in (k for k in order if k in keys):
                _, t, transform = by_key[ck_key]
                length = t.numel() * 4
                tensors.append({"key": ck_key, "dtype": "float32", "shape": list(t.shape),
                                "offset": offset, "length": length, "transform": transform})
                offset = -(-(offset + length) // ALIGN) * ALIGN
            layout[file_name] = {"size": tensors[-1]["offset"] + tensors[-1]["length"] if tensors else 0,
                                 "tensors": tensors}
        where = {t["key"]: (file_name, t) for file_name, entry in layout.items() for t in entry["tensors"]}
        for key, model in exported.items():
            for init in model.graph.initializer:
                hit = matched.get(init.name + "@" + key)
                if hit is None:
                    continue
                file_name, t = where[hit[0]]
                init.ClearField("raw_data")
                init.ClearField("float_data")
                del init.external_data[:]
                init.data_location = onnx.TensorProto.EXTERNAL
                for k, v in (("location", file_name), ("offset", str(t["offset"])), ("length", str(t["length"]))):
                    entry = init.external_data.add()
                    entry.key, entry.value = k, v
            onnx.save(model, os.path.join(out_dir, files[key]))
        template = {
            "format": TEMPLATE_FORMAT,
            "modelFormat": FORMAT,
            "name": name,
            "architecture": cfg.to_dict(),
            "resolution": cfg.size,
            "stylemap": {"channels": cfg.latent_channel_size, "size": cfg.latent_spatial_size},
            "styles": style_meta,
            "modulations": modulations_meta(g),
            **({"preview": preview_meta(g)} if has_preview(g) else {}),
            "mapping": {"zDim": cfg.latent_channel_size},
            "files": files,
            "sha256": {f: sha256_file(os.path.join(out_dir, f)) for f in files.values()},
            # every key the checkpoint's g_ema and e_ema must hold, with its shape (strict, as
            # checkpoint.py's load is); what the graphs use is in `weights`
            "stateDict": {k: list(v.shape) for k, v in state.items()},
            "weights": layout,
        }
        with open(os.path.join(out_dir, "template.json"), "w") as f:
            json.dump(template, f, indent=1)
            f.write("\n")
        record_previous(out_dir, previous, template)
        return template
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Export weightless graph templates")
    p.add_argument("--out", required=True)
    p.add_argument("--only", action="append", choices=sorted(CONFIGS))
    a = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    os.makedirs(a.out, exist_ok=True)
    for name in a.only or CONFIGS:
        template = build_template(name, CONFIGS[name], os.path.join(a.out, name))
        sizes = {f: os.path.getsize(os.path.join(a.out, name, f)) for f in template["files"].values()}
        print(json.dumps({"template": name, "bytes": sizes,
                          "weights": {f: w["size"] for f, w in template["weights"].items()}}))
    index = {"format": TEMPLATE_FORMAT, "fields": list(ARCHITECTURE_FIELDS),
             "templates": {name: CONFIGS[name].to_dict() for name in sorted(CONFIGS)}}
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
