"""Measures a checkpoint on the held-out faces: reconstruction PSNR/MSE, sharpness and local-edit errors.

    /usr/bin/python3 -m smgan.evaluate --checkpoint runs/utkface/best.pt --data ../shared/data/utkface64/train.tar
    /usr/bin/python3 -m smgan.evaluate --checkpoint runs/v2/best.pt --data ../../shared/data/utkface200/train.tar \\
        --cache runs/cache --augment --photos ../../shared/data/photos --samples runs/v2/eval

The held-out faces are those of smgan.data (never trained on), at the checkpoint's size.
`--augment` adds `psnr_aug_db` (degraded inputs, clean targets; smgan.augment, fixed seed).
`--photos DIR` adds `photos_psnr_db`: the 512 x 512 FFHQ-aligned portraits in DIR (other
files are skipped), re-framed like UTKFace by the similarity that takes the FFHQ face
template (templates/alignments.json) onto the UTKFace one (the bundled model's landmarks),
then resized to the model's size with Lanczos. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np
import torch
from PIL import Image

from .checkpoint import ConvertError, load_checkpoint
from .data import load_split, save_grid, to_model_range
from .metrics import evaluate, psnr, save_sample_grids

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# eyes, nose tip, mouth corners as fractions of the square: the bundled model's alignment
# (utkface-64/model.json: mean of the app's detector on 477 UTKFace 200 px training faces)
UTKFACE_LANDMARKS = [[0.2886, 0.2884], [0.6791, 0.2901], [0.4849, 0.5198], [0.3188, 0.6802], [0.6527, 0.6833]]


def ffhq_landmarks() -> list[list[float]]:
    with open(os.path.join(MODELS, "templates", "alignments.json")) as f:
        return json.load(f)["ffhq"]["landmarks"]


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity (rotation, uniform scale, shift) taking src points to dst."""
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a += [[x, -y, 1, 0], [y, x, 0, 1]]
        b += [u, v]
    p, q, tx, ty = np.linalg.lstsq(np.array(a), np.array(b), rcond=None)[0]
    return np.array([[p, -q, tx], [q, p, ty]])


def reframe_ffhq(img: Image.Image, size: int) -> np.ndarray:
    """An FFHQ-aligned square portrait -> uint8 [3, size, size] framed like UTKFace."""
    img = img.convert("RGB")
    w = img.size[0]
    m = similarity(np.array(UTKFACE_LANDMARKS), np.array(ffhq_landmarks()))  # UTK unit -> FFHQ unit
    out = max(size, 256)
    # output pixel (x, y) -> UTK unit ((x + .5) / out) -> FFHQ unit -> input pixel (* w - .5)
    a = m[:, :2] * w / out
    c = (m[:, :2] @ np.array([0.5 / out, 0.5 / out]) + m[:, 2]) * w - 0.5
    data = (a[0, 0], a[0, 1], c[0], a[1, 0], a[1, 1], c[1])
    framed = img.transform((out, out), Image.AFFINE, data, resample=Image.BICUBIC)
    if out != size:
        framed = framed.resize((size, size), Image.LANCZOS)
    return np.asarray(framed, dtype=np.uint8).transpose(2, 0, 1)


def real_photos(folder: str, size: int) -> tuple[list[str], np.ndarray]:
    names, faces = [], []
    for path in sorted(glob.glob(os.path.join(folder, "*.png")) + glob.glob(os.path.join(folder, "*.jpg"))):
        img = Image.open(path)
        if img.size != (512, 512):
            continue  # not an aligned portrait
        names.append(os.path.basename(path))
        faces.append(reframe_ffhq(img, size))
    return names, np.stack(faces) if faces else np.zeros((0, 3, size, size), np.uint8)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--cache", default=None)
    p.add_argument("--count", type=int, default=0, help="only the first N held-out faces (0: all)")
    p.add_argument("--augment", action="store_true", help="also PSNR from degraded inputs (default AugmentConfig)")
    p.add_argument("--photos", default=None, help="folder of FFHQ-aligned 512 px portraits (real photos)")
    p.add_argument("--samples", default=None, help="folder for sample grids (held-out faces only)")
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    g, e, cfg = load_checkpoint(a.checkpoint)
    _, test_u8, _ = load_split(a.data, cache_dir=a.cache, size=cfg.size, log=None)
    if a.count:
        test_u8 = test_u8[:a.count]
    augment = None
    if a.augment:
        from .augment import AugmentConfig

        augment = AugmentConfig()
    with torch.no_grad():
        test = to_model_range(test_u8)
        metrics = evaluate(g, e, test, augment=augment)
        metrics["size"] = cfg.size
        if a.photos:
            names, faces = real_photos(a.photos, cfg.size)
            if len(names):
                x = to_model_range(faces)
                out = g(e(x))
                per = psnr(out, x)
                metrics["photos_psnr_db"] = per.mean().item()
                metrics["photos"] = {n: round(v, 2) for n, v in zip(names, per.tolist())}
                if a.samples:
                    os.makedirs(a.samples, exist_ok=True)
                    save_grid(os.path.join(a.samples, "photos.png"), torch.cat([x, out]), rows=2)
        if a.samples:
            z = torch.randn(16, cfg.latent_channel_size, generator=torch.Generator().manual_seed(7))
            save_sample_grids(a.samples, g, e, test, z)
    print(json.dumps(metrics))


if __name__ == "__main__":
    try:
        main()
    except ConvertError as exc:  # an unreadable or mismatched checkpoint: one line, stable code
        raise SystemExit(f"{exc.code}: {exc}") from None
