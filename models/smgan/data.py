"""UTKFace tars (64 x 64 or 200 x 200 aligned faces) as uint8 arrays, with a fixed held-out split.

The split (`split_names`), the same for every size and copy of the data:

- **held out**: a face whose file name's SHA-256 falls in the first 5 % (`held_out`); the
  rule of the 64 px model and of the app's tests (src-main/testing/utkface.ts `isHeldOut`),
  so the faces v1 was measured on are held out at 128 px as well;
- **never trained on**: those faces, plus every file whose bytes are identical to a held-out
  face under another name (UTKFace holds about 340 such duplicate groups), so no held-out face
  reaches training under a second name;
- **train**: the rest.

Decoded faces are cached once per tar and size (`cache_dir/<set>-<size>.{train,test}.npy`
and `.json`: uint8 [N, 3, H, W], plain .npy files that load memory-mapped in a second).
Faces are resized with PIL's Lanczos filter (antialiased; the app's own crop uses lanczos3
when it shrinks a photo to the model) and nothing else: the 200 px copy has the same
alignment as the 64 px one, and a plain resize keeps it.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import numpy as np
from PIL import Image

HELD_OUT_FRACTION = 0.05
CACHE_VERSION = 2


def held_out(name: str, fraction: float = HELD_OUT_FRACTION) -> bool:
    """Deterministic split by file name, stable across machines and runs."""
    digest = hashlib.sha256(os.path.basename(name).encode()).digest()
    return int.from_bytes(digest[:4], "big") < fraction * 2**32


FACE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def face_name(member_name: str) -> str:
    """The face's UTKFace file name: a pack of re-encoded faces (tools/pack_gpu_data.py)
    stores `<name>.webp`, and the split is by the original name."""
    name = os.path.basename(member_name)
    return name[:-len(".webp")] if name.lower().endswith(".webp") else name


def split_names(files: dict[str, bytes] | list[tuple[str, str]]) -> tuple[list[str], list[str], list[str]]:
    """(train, held out, excluded) base names, each sorted.

    `files`: name -> file bytes, or (name, content digest) pairs. Held out by `held_out`;
    excluded: not held out, but with the same content as a held-out face (a duplicate under
    another name), so it is never trained on either."""
    pairs = [(os.path.basename(n), hashlib.sha256(b).hexdigest()) for n, b in files.items()] \
        if isinstance(files, dict) else [(os.path.basename(n), d) for n, d in files]
    test = sorted(n for n, _ in pairs if held_out(n))
    held_digests = {d for n, d in pairs if held_out(n)}
    excluded = sorted(n for n, d in pairs if not held_out(n) and d in held_digests)
    train = sorted(n for n, d in pairs if not held_out(n) and d not in held_digests)
    return train, test, excluded


def decode_face(data: bytes, size: int) -> np.ndarray:
    """JPEG/PNG/WebP bytes -> uint8 [3, size, size], Lanczos-resized when the file is another size."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.LANCZOS)
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def _cache_stem(tar_path: str, cache_dir: str, size: int) -> str:
    # the tar's folder names the set (utkface64, utkface200); another file gets its own name
    parent = os.path.basename(os.path.dirname(os.path.abspath(tar_path)))
    base = os.path.splitext(os.path.basename(tar_path))[0]
    tag = parent if base == "train" and parent else base
    return os.path.join(cache_dir, f"{tag}-{size}")


def _tar_identity(tar_path: str) -> dict:
    st = os.stat(tar_path)
    return {"tar": os.path.basename(tar_path), "bytes": st.st_size, "mtime": int(st.st_mtime)}


def read_face_files(path: str) -> dict[str, bytes]:
    """name -> file bytes of every face in a tar, or in a face pack (.npz: `names`, newline-
    separated UTF-8; `offsets`, N + 1 of them; `data`, the files one after the other;
    tools/pack_gpu_data.py), under its UTKFace name."""
    files: dict[str, bytes] = {}

    def add(member_name, data):
        name = face_name(member_name)
        if name in files:
            raise ValueError(f"{path}: {name} appears twice")
        files[name] = data

    if path.lower().endswith(".npz"):
        z = np.load(path, allow_pickle=False)
        data, offsets = z["data"], z["offsets"]
        names = z["names"].tobytes().decode().split("\n") if z["names"].dtype == np.uint8 else z["names"].tolist()
        for i, name in enumerate(names):
            add(name, data[offsets[i]:offsets[i + 1]].tobytes())
        return files
    with tarfile.open(path) as tar:
        for member in tar:
            if member.isfile() and member.name.lower().endswith(FACE_SUFFIXES):
                add(member.name, tar.extractfile(member).read())
    return files


def write_face_pack(path: str, files: dict[str, bytes]) -> None:
    """Writes a face pack (see read_face_files) of name -> file bytes."""
    names = list(files)
    offsets = np.zeros(len(names) + 1, np.int64)
    offsets[1:] = np.cumsum([len(files[n]) for n in names])
    tmp = path + ".tmp.npz"
    # names as newline-separated UTF-8 (a numpy string array would spend 4 bytes a character)
    np.savez(tmp, names=np.frombuffer("\n".join(names).encode(), np.uint8), offsets=offsets,
             data=np.frombuffer(b"".join(files[n] for n in names), np.uint8))
    os.replace(tmp, path)


def build_cache(tar_path: str, size: int, stem: str | None = None, log=print):
    """Decodes the tar once: returns (train, test, info) and, with `stem`, writes the cache."""
    files = read_face_files(tar_path)
    train_names, test_names, excluded = split_names(files)
    arrays = {}
    for key, names in (("train", train_names), ("test", test_names)):
        out = np.empty((len(names), 3, size, size), np.uint8)
        for i, name in enumerate(names):
            out[i] = decode_face(files[name], size)
        arrays[key] = out
    info = {"version": CACHE_VERSION, "size": size, **_tar_identity(tar_path),
            "held_out_rule": f"sha256(name)[:4] < {HELD_OUT_FRACTION} * 2^32",
            "train": len(train_names), "test": len(test_names), "test_names": test_names,
            "excluded_duplicates_of_held_out": excluded}
    if log:
        log(f"decoded {tar_path} at {size} px: {len(train_names)} train, {len(test_names)} held out, "
            f"{len(excluded)} duplicates of held-out faces left out")
    if stem:
        os.makedirs(os.path.dirname(stem) or ".", exist_ok=True)
        for key, arr in arrays.items():
            tmp = f"{stem}.{key}.tmp.npy"
            np.save(tmp, arr)
            os.replace(tmp, f"{stem}.{key}.npy")
        tmp = f"{stem}.json.tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, f"{stem}.json")  # written last: its presence means the arrays are complete
    return arrays["train"], arrays["test"], info


def load_split(tar_path: str, cache_dir: str | None = None, size: int = 64, mmap: bool = True, log=print):
    """(train uint8 [N,3,H,W], held-out uint8 [M,3,H,W], info dict) from the cache or the tar.

    With `mmap` the cached train array is memory-mapped (read on demand); the held-out array
    is always read into memory."""
    stem = _cache_stem(tar_path, cache_dir, size) if cache_dir else None
    if stem and os.path.exists(f"{stem}.json"):
        with open(f"{stem}.json") as f:
            info = json.load(f)
        if info.get("version") == CACHE_VERSION and all(info.get(k) == v for k, v in _tar_identity(tar_path).items()):
            train = np.load(f"{stem}.train.npy", mmap_mode="r" if mmap else None)
            test = np.load(f"{stem}.test.npy")
            return train, test, info
        if log:
            log(f"{stem}.json is stale (another tar or cache version): decoding again")
    return build_cache(tar_path, size, stem, log=log)


def load_faces(tar_path: str, cache_dir: str | None = None, size: int = 64, mmap: bool = False):
    """Returns (train uint8 [N,3,H,W], held-out uint8 [M,3,H,W], held-out names)."""
    train, test, info = load_split(tar_path, cache_dir, size, mmap=mmap)
    return train, test, list(info["test_names"])


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
