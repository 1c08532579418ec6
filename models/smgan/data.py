"""The UTKFace 64x64 tar as tensors, with a fixed held-out split."""
from __future__ import annotations

import hashlib
import io
import os
import tarfile

import numpy as np
from PIL import Image


def held_out(name: str, fraction: float = 0.05) -> bool:
    """Deterministic split by file name, stable across machines and runs."""
    digest = hashlib.sha256(os.path.basename(name).encode()).digest()
    return int.from_bytes(digest[:4], "big") < fraction * 2**32


def load_faces(tar_path: str, cache_dir: str | None = None, size: int = 64):
    """Returns (train uint8 [N,3,H,W], held-out uint8 [M,3,H,W], held-out names)."""
    cache = os.path.join(cache_dir, f"faces{size}.npz") if cache_dir else None
    if cache and os.path.exists(cache):
        z = np.load(cache, allow_pickle=False)
        return z["train"], z["test"], list(z["test_names"])
    train, test, test_names = [], [], []
    with tarfile.open(tar_path) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile() or not member.name.lower().endswith(".jpg"):
                continue
            data = tar.extractfile(member).read()
            img = Image.open(io.BytesIO(data)).convert("RGB")
            if img.size != (size, size):
                img = img.resize((size, size), Image.BICUBIC)
            arr = np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)
            if held_out(member.name):
                test.append(arr)
                test_names.append(os.path.basename(member.name))
            else:
                train.append(arr)
    train_arr, test_arr = np.stack(train), np.stack(test)
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = cache + ".tmp.npz"
        np.savez(tmp, train=train_arr, test=test_arr, test_names=np.array(test_names))
        os.replace(tmp, cache)
    return train_arr, test_arr, test_names


def to_model_range(batch_uint8) -> "torch.Tensor":
    import torch

    return torch.from_numpy(np.ascontiguousarray(batch_uint8)).float().div_(127.5).sub_(1.0)


def save_grid(path: str, images, rows: int) -> None:
    """images: float tensor [N,3,H,W] in [-1,1]; writes a PNG grid with `rows` rows."""
    arr = ((images.detach().clamp(-1, 1) + 1) * 127.5).round().byte().cpu().numpy()
    n, _, h, w = arr.shape
    cols = (n + rows - 1) // rows
    grid = np.full((rows * (h + 2), cols * (w + 2), 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        grid[r * (h + 2):r * (h + 2) + h, c * (w + 2):c * (w + 2) + w] = arr[i].transpose(1, 2, 0)
    tmp = path + ".tmp.png"
    Image.fromarray(grid).save(tmp)
    os.replace(tmp, path)
