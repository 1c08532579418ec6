"""Encoder-input augmentation, for reconstructions that hold up on real photos.

`augment_pair(x, gen, cfg)` takes clean faces x ([N,3,H,W] in [-1,1], any device) and returns
(encoder input, reconstruction target). Every random number comes from `gen` (a CPU
torch.Generator), drawn for every face whether or not it is picked, so a seed gives the
same batch on any device and any batch content.

Operations, in this order, each applied to a face with its own probability:

- `affine`: rotation, scale and translation (reflected borders), the framing error of a
  user's crop;
- `color`: brightness, contrast, saturation, per-channel gain (colour casts) and gamma;
- `gray`: black-and-white (ITU-R 601 luma in all three channels);
- `blur`: Gaussian blur (sigma in pixels at 128 px, scaled with the size);
- `jpeg`: JPEG re-encoding with PIL at a random quality.

The reconstruction target is the clean face: it never sees `blur` or `jpeg`, and with
`shared=()` it is exactly x. The operations named in `shared` (default: affine, color and
gray) are applied to the target as well, with the same parameters: they change what the
photo *is* rather than damage it, and the app pastes the generated face back into the
photo, so a model that undid a photo's colour cast, its black-and-white or its framing
would paste a face that does not match (and the real-photo PSNR of issue 15 is measured
against the photo as it is). What the encoder must learn is to see through those changes
to the right stylemap; blur and JPEG it must learn to undo.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, fields

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

OPS = ("affine", "color", "gray", "blur", "jpeg")
LUMA = (0.299, 0.587, 0.114)


@dataclass
class AugmentConfig:
    p_affine: float = 0.5
    rotate_deg: float = 5.0
    scale: float = 0.05          # zoom in [1 - scale, 1 + scale]
    translate: float = 0.03      # fraction of the side
    p_color: float = 0.8
    brightness: float = 0.15     # added, in [-1, 1] units (i.e. +-7.5 % of the range)
    contrast: float = 0.25       # factor in [1 - c, 1 + c]
    saturation: float = 0.4      # factor in [1 - s, 1 + s]
    channel_gain: float = 0.12   # per channel factor in [1 - g, 1 + g] (colour casts)
    gamma: float = 0.25          # exponent exp(U(-g, g)) on [0, 1] values
    p_gray: float = 0.1
    p_blur: float = 0.25
    blur_sigma: tuple = (0.3, 1.2)   # pixels at 128 px
    p_jpeg: float = 0.3
    jpeg_quality: tuple = (30, 90)
    shared: tuple = ("affine", "color", "gray")

    @classmethod
    def from_string(cls, spec: str | None) -> "AugmentConfig":
        """'' or None: the defaults; else comma-separated key=value, e.g.
        'p_jpeg=0.5,shared=affine+gray' ('shared=' for none; tuples as a+b)."""
        cfg = cls()
        if not spec:
            return cfg
        types = {f.name: f for f in fields(cls)}
        for item in spec.split(","):
            key, _, value = item.partition("=")
            key = key.strip()
            if key not in types:
                raise ValueError(f"unknown augmentation setting {key!r} (known: {', '.join(types)})")
            current = getattr(cfg, key)
            if isinstance(current, tuple):
                parts = [p for p in value.split("+") if p]
                if key == "shared":
                    bad = [p for p in parts if p not in OPS]
                    if bad:
                        raise ValueError(f"shared: unknown operation {bad[0]!r} (known: {', '.join(OPS)})")
                    setattr(cfg, key, tuple(parts))
                else:
                    setattr(cfg, key, tuple(type(current[0])(float(p)) for p in parts))
            else:
                setattr(cfg, key, float(value))
        return cfg

    def off(self) -> "AugmentConfig":
        """The same settings with every probability 0 (for tests and comparisons)."""
        out = AugmentConfig(**{f.name: getattr(self, f.name) for f in fields(self)})
        for name in ("p_affine", "p_color", "p_gray", "p_blur", "p_jpeg"):
            setattr(out, name, 0.0)
        return out


def _uniform(gen, n, lo, hi):
    return torch.rand(n, generator=gen) * (hi - lo) + lo


def sample_params(n: int, size: int, gen: torch.Generator, cfg: AugmentConfig) -> dict:
    """Every random number of a batch, drawn in a fixed order for all n faces."""
    p = {}
    p["affine_on"] = torch.rand(n, generator=gen) < cfg.p_affine
    p["angle"] = _uniform(gen, n, -cfg.rotate_deg, cfg.rotate_deg) * math.pi / 180
    p["zoom"] = _uniform(gen, n, 1 - cfg.scale, 1 + cfg.scale)
    p["shift"] = _uniform(gen, 2 * n, -cfg.translate, cfg.translate).view(n, 2) * 2  # in [-1, 1] grid units
    p["color_on"] = torch.rand(n, generator=gen) < cfg.p_color
    p["brightness"] = _uniform(gen, n, -cfg.brightness, cfg.brightness)
    p["contrast"] = _uniform(gen, n, 1 - cfg.contrast, 1 + cfg.contrast)
    p["saturation"] = _uniform(gen, n, 1 - cfg.saturation, 1 + cfg.saturation)
    p["gain"] = _uniform(gen, 3 * n, 1 - cfg.channel_gain, 1 + cfg.channel_gain).view(n, 3)
    p["gamma"] = torch.exp(_uniform(gen, n, -cfg.gamma, cfg.gamma))
    p["gray_on"] = torch.rand(n, generator=gen) < cfg.p_gray
    p["blur_on"] = torch.rand(n, generator=gen) < cfg.p_blur
    p["sigma"] = _uniform(gen, n, *cfg.blur_sigma) * (size / 128)
    p["jpeg_on"] = torch.rand(n, generator=gen) < cfg.p_jpeg
    p["quality"] = torch.randint(int(cfg.jpeg_quality[0]), int(cfg.jpeg_quality[1]) + 1, (n,), generator=gen)
    return p


def luma(x: torch.Tensor) -> torch.Tensor:
    w = torch.tensor(LUMA, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def _affine(x, p, idx):
    a, z, s = p["angle"][idx].to(x), p["zoom"][idx].to(x), p["shift"][idx].to(x)
    cos, sin = torch.cos(a) / z, torch.sin(a) / z
    theta = torch.stack([torch.stack([cos, -sin, s[:, 0]], 1), torch.stack([sin, cos, s[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def _color(x, p, idx):
    v = lambda k: p[k][idx].to(x).view(-1, 1, 1, 1)  # noqa: E731
    x = x + v("brightness")
    mean = luma(x).mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * v("contrast") + mean
    y = luma(x)
    x = (x - y) * v("saturation") + y
    x = x * p["gain"][idx].to(x).view(-1, 3, 1, 1)
    unit = ((x + 1) / 2).clamp(0, 1)
    return unit.pow(v("gamma")) * 2 - 1


def _gray(x, p, idx):
    return luma(x).expand(-1, 3, -1, -1).contiguous()


def _blur(x, p, idx):
    sigma = p["sigma"][idx].to(x)
    radius = max(1, int(math.ceil(3 * float(sigma.max()))))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-(t.view(1, -1) ** 2) / (2 * sigma.view(-1, 1) ** 2))
    k = k / k.sum(1, keepdim=True)                      # [n, taps]
    n, c, h, w = x.shape
    k = k.repeat_interleave(c, 0)                       # one kernel per (face, channel)
    y = F.pad(x.reshape(1, n * c, h, w), (radius, radius, radius, radius), mode="reflect")
    y = F.conv2d(y, k.view(n * c, 1, 1, -1), groups=n * c)
    y = F.conv2d(y, k.view(n * c, 1, -1, 1), groups=n * c)
    return y.view(n, c, h, w)


def _jpeg(x, p, idx):
    out = torch.empty_like(x)
    arr = ((x.detach().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    for j, q in enumerate(p["quality"][idx].tolist()):
        buf = io.BytesIO()
        Image.fromarray(arr[j]).save(buf, format="JPEG", quality=int(q))
        back = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), dtype=np.uint8)
        out[j] = torch.from_numpy(back.transpose(2, 0, 1).copy()).to(x).div(127.5).sub(1)
    return out


_APPLY = {"affine": _affine, "color": _color, "gray": _gray, "blur": _blur, "jpeg": _jpeg}


def apply_ops(x: torch.Tensor, params: dict, ops) -> torch.Tensor:
    """x with the operations `ops` (in OPS order) applied to the faces each picks."""
    x = x.clone()
    for op in OPS:
        if op not in ops:
            continue
        idx = params[f"{op}_on"].nonzero().flatten()
        if idx.numel() == 0:
            continue
        dev_idx = idx.to(x.device)
        x[dev_idx] = _APPLY[op](x[dev_idx], params, idx).clamp(-1, 1)
    return x


@torch.no_grad()
def augment_pair(x: torch.Tensor, gen: torch.Generator, cfg: AugmentConfig | None = None):
    """(encoder input, reconstruction target) for clean faces x."""
    cfg = cfg or AugmentConfig()
    params = sample_params(x.shape[0], x.shape[-1], gen, cfg)
    shared = [op for op in OPS if op in cfg.shared]
    target = apply_ops(x, params, shared) if shared else x
    # when the shared operations come first in OPS order, the input continues from the target
    prefix = list(OPS[:len(shared)]) == shared
    inp = apply_ops(target, params, [op for op in OPS if op not in shared]) if prefix else apply_ops(x, params, OPS)
    return inp, target
