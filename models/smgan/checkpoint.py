"""Reads checkpoints in the released StyleMapGAN layout (g_ema, e_ema, train_args)."""
from __future__ import annotations

import collections
import functools
import inspect
import io
import os
import pickle
import types
import zipfile

import torch

from . import safe_pickle
from .layers import SUPPORTED_NORMALIZE_MODES
from .networks import Encoder, Generator, ModelConfig


class ConvertError(Exception):
    """A failure with a stable code, printed as one line by the converter."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@functools.lru_cache(maxsize=None)
def _load_honours_pickle_module() -> bool:
    """Whether torch.load uses the pickle module it is given. Torch 1.13 (Debian's) replaces
    it with plain pickle unless weights_only is set, so this is tried, not read from the
    version: a harmless in-memory file is loaded with a module that notes its own use."""
    used = []

    class Noting(safe_pickle.Unpickler):
        def find_class(self, module, name):
            used.append((module, name))
            return super().find_class(module, name)

    noting = types.SimpleNamespace(__name__="noting_pickle", Unpickler=Noting, load=lambda f, **kw: Noting(f, **kw).load())
    buffer = io.BytesIO()
    torch.save({"probe": collections.OrderedDict()}, buffer)
    buffer.seek(0)
    torch.load(buffer, pickle_module=noting, **_weights_only_off())
    return bool(used)


def _weights_only_off() -> dict:
    # weights_only=False only turns off torch's own allow-list (which cannot read train_args
    # before torch 2.4); the restriction is safe_pickle's. Torch before 1.13 has no such argument.
    return {"weights_only": False} if "weights_only" in inspect.signature(torch.load).parameters else {}


def _load_restricted(path: str, map_location):
    if _load_honours_pickle_module():
        return torch.load(path, map_location=map_location, pickle_module=safe_pickle, **_weights_only_off())
    # torch 1.13: the same steps torch.load takes, with the pickle module it would have dropped
    serialization = torch.serialization
    with open(path, "rb") as f:
        if serialization._is_zipfile(f):
            with serialization._open_zipfile_reader(f) as archive:
                if serialization._is_torchscript_zip(archive):
                    raise pickle.UnpicklingError("a TorchScript archive, not a checkpoint")
                return serialization._load(archive, map_location, safe_pickle, encoding="utf-8")
        return serialization._legacy_load(f, map_location, safe_pickle, encoding="utf-8")


def safe_torch_load(path: str, map_location="cpu"):
    """torch.load through the restricted unpickler (safe_pickle) on every torch version: a
    file that names anything but tensors, containers, numbers, strings and argparse.Namespace
    is refused with E_CONVERT_UNSAFE, and what it names is never imported or called."""
    try:
        return _load_restricted(path, map_location)
    except safe_pickle.ForbiddenGlobal as exc:
        raise ConvertError("E_CONVERT_UNSAFE",
                           f"{os.path.basename(path)} refers to {exc.module}.{exc.name}, which a checkpoint never holds; "
                           "refused without running it (only tensors, containers and train_args are read)") from None


def read_checkpoint(path: str) -> dict:
    if not os.path.isfile(path):
        raise ConvertError("E_CONVERT_NOT_FOUND", f"checkpoint file not found: {path}")
    try:
        ck = safe_torch_load(path)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError, AttributeError,
            ModuleNotFoundError, IndexError, KeyError, TypeError, OSError) as exc:
        raise ConvertError("E_CONVERT_NOT_CHECKPOINT",
                           f"{os.path.basename(path)} is not a readable PyTorch checkpoint ({type(exc).__name__})") from None
    if not isinstance(ck, dict):
        raise ConvertError("E_CONVERT_NOT_CHECKPOINT", f"{os.path.basename(path)} does not hold a checkpoint dict")
    missing = [k for k in ("g_ema", "e_ema", "train_args") if k not in ck]
    if missing:
        raise ConvertError("E_CONVERT_KEYS", f"checkpoint lacks {', '.join(missing)} (expected the released StyleMapGAN layout)")
    return ck


def config_from(ck: dict) -> ModelConfig:
    try:
        cfg = ModelConfig.from_train_args(ck["train_args"])
    except (KeyError, TypeError) as exc:
        raise ConvertError("E_CONVERT_KEYS", f"train_args is incomplete: {exc}") from None
    if cfg.normalize_mode not in SUPPORTED_NORMALIZE_MODES:
        raise ConvertError("E_CONVERT_NORMALIZE",
                           f"normalize_mode {cfg.normalize_mode!r} is not supported (supported: {', '.join(SUPPORTED_NORMALIZE_MODES)})")
    try:
        cfg.validate()
    except ValueError as exc:
        raise ConvertError("E_CONVERT_CONFIG", str(exc)) from None
    return cfg


def _load_strict(module, state, what: str) -> None:
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} keys (first: {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (first: {unexpected[0]})")
        raise ConvertError("E_CONVERT_KEYS", f"{what} does not match the architecture from train_args: {'; '.join(parts)}")
    for k, v in expected.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise ConvertError("E_CONVERT_KEYS", f"{what}.{k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}")
    module.load_state_dict(state, strict=True)


def load_checkpoint(path: str):
    """-> (g_ema, e_ema, config), loaded strictly, in eval mode."""
    ck = read_checkpoint(path)
    cfg = config_from(ck)
    g, e = Generator(cfg), Encoder(cfg)
    _load_strict(g, ck["g_ema"], "g_ema")
    _load_strict(e, ck["e_ema"], "e_ema")
    return g.eval(), e.eval(), cfg
