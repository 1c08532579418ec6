"""Converts a released-format StyleMapGAN checkpoint into a model folder, checked.

    python3 -m smgan.convert --checkpoint celeba_hq_256_8x8.pt --out ../models/celeba-256

Exports every graph into a staging folder beside --out, runs the ONNX files with
onnxruntime-node against the PyTorch outputs for random inputs (batch 1 and 3), and only
then moves the folder into place. Failures print one line `E_CODE: message` on stderr,
exit non-zero and leave no output folder behind.
"""
from __future__ import annotations

import sys


def _fail(code: str, message: str, status: int = 2):
    print(f"{code}: {message}", file=sys.stderr)
    return status


try:
    import argparse
    import json
    import os
    import shutil
    import subprocess
    import tempfile
    import time
    import warnings

    import torch  # noqa: F401
    import onnx  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.exit(_fail("E_PYTHON_MISSING", f"{exc.name} is not installed for {sys.executable}; install it with "
                   "'apt-get install python3-torch python3-onnx python3-numpy' or 'pip install torch onnx numpy'"))

from .checkpoint import ConvertError, load_checkpoint  # noqa: E402
from .export import export_folder  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASED_LICENSE = "CC BY-NC 4.0 (StyleMapGAN released weights; pass --license to override)"


def guess_domain(name: str) -> str:
    lower = name.lower()
    if any(k in lower for k in ("celeba", "ffhq", "face", "utk")):
        return "face"
    if "afhq" in lower:
        return "animal-face"
    if "car" in lower:
        return "car"
    if "church" in lower:
        return "church"
    return "generic"


def alignment_for(name: str, choice: str = "auto"):
    """The face alignment to write into model.json: the FFHQ-style template for face models
    trained on FFHQ/CelebA-HQ crops (the released celeba_hq checkpoints), none for the others
    (afhq, cars, churches keep manual crops). `choice` is --alignment: auto, ffhq or none."""
    if choice == "none":
        return None
    lower = name.lower()
    if choice == "auto" and not any(k in lower for k in ("celeba", "ffhq")):
        return None
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates", "alignments.json")) as f:
        return json.load(f)["ffhq"]


def check_parity(folder: str, tolerance: float) -> dict:
    """Runs models/tools/parity.ts (onnxruntime-node) on the staged folder."""
    script = os.path.join(REPO, "models", "tools", "parity.ts")
    node = shutil.which("node")
    if node is None:
        raise ConvertError("E_CONVERT_NODE", "node is not on PATH; it is needed to check the export with onnxruntime-node")
    proc = subprocess.run([node, "--import", "tsx", script, folder, "--tolerance", str(tolerance)],
                          cwd=REPO, capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ConvertError("E_CONVERT_PARITY", f"the parity check did not run: {proc.stderr.strip()[-300:]}") from None
    if proc.returncode != 0 or not report.get("ok"):
        raise ConvertError("E_CONVERT_PARITY", f"ONNX output differs from PyTorch: max relative error "
                           f"{report.get('maxRelativeError')} > {tolerance} ({report.get('worst')})")
    return report


def check_output(out: str, shown: str, force: bool) -> None:
    """--out must be a folder that can be created or (with --force) replaced; checked before
    the checkpoint is read, so a wrong path fails in seconds rather than after the export."""
    not_dir = "E_CONVERT_OUTPUT_NOT_DIR"
    if os.path.islink(out):
        raise ConvertError(not_dir, f"{shown} is a symbolic link; --out names the model folder to write, not a link")
    if os.path.exists(out) and not os.path.isdir(out):
        raise ConvertError(not_dir, f"{shown} is a file, not a folder; --out names the model folder to write "
                           "(--force replaces a folder, never a file)")
    ancestor = os.path.dirname(out)
    while not os.path.lexists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise ConvertError(not_dir, f"{shown} cannot be created: {ancestor} is a file, not a folder")
    if os.path.isdir(out) and os.listdir(out) and not force:
        raise ConvertError("E_CONVERT_OUTPUT_EXISTS", f"{shown} already exists and is not empty (pass --force to replace it)")


def convert(a) -> dict:
    t0 = time.time()
    out = os.path.abspath(a.out)
    check_output(out, a.out, a.force)
    g, e, cfg = load_checkpoint(a.checkpoint)
    t_load = time.time()
    base = os.path.splitext(os.path.basename(a.checkpoint))[0]
    meta = {
        "id": a.id or os.path.basename(out), "name": a.name or base,
        "domain": a.domain or guess_domain(base), "default": a.default,
        "source": a.source or f"converted from {os.path.basename(a.checkpoint)}",
        "license": a.license or RELEASED_LICENSE,
        "alignment": alignment_for(base, a.alignment),
    }
    try:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".convert-", dir=os.path.dirname(out))
    except OSError as exc:
        raise ConvertError("E_CONVERT_OUTPUT_WRITE", f"cannot create {a.out}: {exc.strerror}") from None
    os.chmod(staging, 0o755)
    try:
        export_folder(g, e, staging, meta, parity=True)
        t_export = time.time()
        report = check_parity(staging, a.tolerance)
        shutil.rmtree(os.path.join(staging, "parity"))
        os.remove(os.path.join(staging, "parity.json"))
        if os.path.exists(out):
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {
        "out": a.out, "id": meta["id"], "resolution": cfg.size,
        "maxRelativeError": report["maxRelativeError"], "cases": report["cases"],
        "seconds": {"load": round(t_load - t0, 2), "export": round(t_export - t_load, 2),
                    "parity": round(time.time() - t_export, 2), "total": round(time.time() - t0, 2)},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="stylemap convert", description="Convert a StyleMapGAN checkpoint to a model folder")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--id")
    p.add_argument("--name")
    p.add_argument("--license")
    p.add_argument("--domain")
    p.add_argument("--source")
    p.add_argument("--default", action="store_true", help="mark as the app's default model")
    p.add_argument("--alignment", choices=("auto", "ffhq", "none"), default="auto",
                   help="how the model frames faces: auto = FFHQ-style for celeba_hq/ffhq checkpoints, none otherwise")
    p.add_argument("--tolerance", type=float, default=1e-3)
    p.add_argument("--force", action="store_true")
    a = p.parse_args(argv)
    warnings.filterwarnings("ignore")  # exporter chatter; failures are reported by code
    try:
        summary = convert(a)
    except ConvertError as exc:
        return _fail(exc.code, str(exc))
    except MemoryError:
        return _fail("E_CONVERT_MEMORY", "not enough memory to convert this checkpoint")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
