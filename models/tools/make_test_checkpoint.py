"""Checkpoints for the TypeScript checkpoint reader's tests (src-main/torch/), saved by torch
itself in both torch.save layouts, with the values the reader must reproduce.

    python3 models/tools/make_test_checkpoint.py fixtures --out DIR
        DIR/zip.pt, DIR/legacy.pt      the released layout: g_ema, e_ema, generator, encoder,
                                       discriminator, three Adam states, train_args
        DIR/expected.json              what reading g_ema, e_ema and train_args must give
        DIR/unsafe-<kind>-<layout>.pt  pickles that run code when a plain unpickler loads
                                       them; each would create DIR/marker-<kind>
    python3 models/tools/make_test_checkpoint.py rezip --in zip.pt --out OUT [--zip64] [--comment] [--deflate pickle|all]
        the same archive written by Python's zipfile: zip64 records, an archive comment, or
        deflated records (torch itself writes none of these for small files)
    python3 models/tools/make_test_checkpoint.py big --out FILE --layout zip|legacy --extra-mb 300
        a checkpoint whose small g_ema/e_ema sit beside a large optimiser-like tensor
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys

import torch
from torch import nn


def save(obj, path: str, layout: str) -> None:
    torch.save(obj, path, _use_new_zipfile_serialization=(layout == "zip"))


class _Tiny(nn.Module):
    """A module whose state dict has the shapes of the released networks' entries."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.linear = nn.Linear(5, 6)
        # modulated conv weights are stored as [1, out, in, k, k]
        self.modulated = nn.Parameter(torch.randn(1, 2, 3, 3, 3))
        self.register_buffer("blur_kernel", torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16)


def generator_state(seed: int) -> collections.OrderedDict:
    torch.manual_seed(seed)
    sd = _Tiny().state_dict()
    base = torch.randn(4, 6)
    sd["weight_t"] = base.t()  # a transposed (non-contiguous) view
    sd["weight"] = base  # shares its storage with weight_t
    sd["weight_slice"] = base[1:, ::2]  # storage offset 6, strides (6, 2)
    sd["expanded"] = torch.randn(3, 1).expand(3, 4)  # stride 0
    sd["half"] = torch.cat([torch.randn(4), torch.tensor([3e-7, 65504.0])]).reshape(2, 3).half()  # a subnormal, the largest half
    sd["bfloat"] = torch.randn(5).bfloat16()
    sd["double"] = torch.randn(2, 2, dtype=torch.float64)
    sd["long"] = torch.tensor([0, -3, 1 << 20, 7], dtype=torch.int64)
    sd["int"] = torch.tensor([[1, -2], [3, 4]], dtype=torch.int32)
    sd["short"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["char"] = torch.tensor([-5, 5], dtype=torch.int8)
    sd["byte"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def encoder_state(seed: int) -> collections.OrderedDict:
    torch.manual_seed(seed)
    sd = collections.OrderedDict()
    sd["from_rgb.0.weight"] = torch.randn(8, 3, 1, 1)
    sd["from_rgb.1.bias"] = torch.randn(8)
    sd["convs.0.conv2.0.kernel"] = torch.tensor([[1.0, 3.0, 3.0, 1.0]]).t() @ torch.tensor([[1.0, 3.0, 3.0, 1.0]]) / 64
    sd["final_conv.0.weight"] = torch.randn(16, 8, 3, 3)
    return sd


def adam_state(module: nn.Module) -> dict:
    optim = torch.optim.Adam(module.parameters(), lr=0.002, betas=(0.0, 0.99))
    sum(p.sum() for p in module.parameters()).backward()
    optim.step()
    return optim.state_dict()


def train_args() -> argparse.Namespace:
    return argparse.Namespace(
        size=256, mapping_layer_num=8, latent_channel_size=64, latent_spatial_size=8, lr_mul=0.01,
        channel_multiplier=2, normalize_mode="LayerNorm", small_generator=False, batch=16, lr=0.002,
        iter=1400000, dataset="celeba_hq", ckpt=None, mixing_type=[0.5, -1.25], unicode="éλ",
        huge=2 ** 70, negative=-123456, betas=(0.0, 0.99),
    )


def tensor_json(t: torch.Tensor) -> dict:
    return {
        "dtype": str(t.dtype).replace("torch.", ""),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
        "values": t.double().flatten().tolist(),
    }


def released_checkpoint() -> dict:
    g = generator_state(1)
    e = encoder_state(2)
    disc = _Tiny()
    return {
        "g_ema": g,
        "e_ema": e,
        "generator": generator_state(3),
        "encoder": encoder_state(4),
        "discriminator": disc.state_dict(),
        "g_optim": adam_state(_Tiny()),
        "d_optim": adam_state(disc),
        "e_optim": {},
        "train_args": train_args(),
    }


class _RunsSystem:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"mkdir {self.marker}",))


class _RunsEval:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"__import__('os').makedirs({self.marker!r})",))


class _MakesDir:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def fixtures(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    ck = released_checkpoint()
    for layout in ("zip", "legacy"):
        save(ck, os.path.join(out, f"{layout}.pt"), layout)
    args = vars(ck["train_args"]).copy()
    args["huge"] = str(args["huge"])
    args["betas"] = list(args["betas"])
    expected = {
        "keys": list(ck.keys()),
        "train_args": args,
        "train_args_order": list(vars(ck["train_args"]).keys()),
        "tensors": {name: [dict(key=k, **tensor_json(t)) for k, t in ck[name].items()] for name in ("g_ema", "e_ema")},
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    # each payload sits where a reader might not look: train_args, inside g_ema, an unread entry
    for kind, make, where in (("system", _RunsSystem, "train_args"), ("eval", _RunsEval, "g_ema"), ("makedirs", _MakesDir, "discriminator")):
        marker = os.path.join(out, f"marker-{kind}")
        bad = released_checkpoint()
        if where == "g_ema":
            bad["g_ema"]["payload"] = make(marker)
        else:
            bad[where] = make(marker)
        for layout in ("zip", "legacy"):
            save(bad, os.path.join(out, f"unsafe-{kind}-{layout}.pt"), layout)


def big(out: str, layout: str, extra_mb: int) -> None:
    ck = released_checkpoint()
    # the unrequested bulk of a released file: raw networks and Adam moments
    ck["g_optim"] = {"state": {0: {"step": 1, "exp_avg": torch.ones(extra_mb << 18)}}, "param_groups": []}
    save(ck, out, layout)


def rezip(src: str, out: str, zip64: bool, comment: bool, deflate: str | None) -> None:
    import zipfile

    with zipfile.ZipFile(src) as z:
        records = [(info.filename, z.read(info)) for info in z.infolist()]
    if zip64:
        # every size and offset counts as too large: zip64 extra fields and end records
        zipfile.ZIP64_LIMIT = 0
        zipfile.ZIP_FILECOUNT_LIMIT = 0
    with zipfile.ZipFile(out, "w") as z:
        for name, data in records:
            deflated = deflate == "all" or (deflate == "pickle" and name.endswith("/data.pkl"))
            z.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED)
        if comment:
            z.comment = b"written by a test; PK\x05\x06 inside the comment"


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("--out", required=True)
    b = sub.add_parser("big")
    b.add_argument("--out", required=True)
    b.add_argument("--layout", choices=("zip", "legacy"), required=True)
    b.add_argument("--extra-mb", type=int, default=300)
    r = sub.add_parser("rezip")
    r.add_argument("--in", dest="src", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--zip64", action="store_true")
    r.add_argument("--comment", action="store_true")
    r.add_argument("--deflate", choices=("pickle", "all"))
    a = p.parse_args(argv)
    if a.cmd == "fixtures":
        fixtures(a.out)
    elif a.cmd == "rezip":
        rezip(a.src, a.out, a.zip64, a.comment, a.deflate)
    else:
        big(a.out, a.layout, a.extra_mb)
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
