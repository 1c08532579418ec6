"""Reads checkpoints in the released StyleMapGAN layout (g_ema, e_ema, train_args)."""
from __future__ import annotations

import argparse
import os
import pickle
import zipfile

import torch

from .layers import SUPPORTED_NORMALIZE_MODES
from .networks import Encoder, Generator, ModelConfig


class ConvertError(Exception):
    """A failure with a stable code, printed as one line by the converter."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _torch_load(path: str):
    """Loads without running arbitrary pickled code where torch can (2.4 and later): the
    released layout pickles only tensors, containers and argparse.Namespace (train_args).
    Older torch (Debian's 1.13) has no allow-list for Namespace and loads it plainly."""
    serialization = torch.serialization
    if hasattr(serialization, "add_safe_globals"):
        serialization.add_safe_globals([argparse.Namespace])
        return torch.load(path, map_location="cpu", weights_only=True)
    return torch.load(path, map_location="cpu")


def read_checkpoint(path: str) -> dict:
    if not os.path.isfile(path):
        raise ConvertError("E_CONVERT_NOT_FOUND", f"checkpoint file not found: {path}")
    try:
        ck = _torch_load(path)
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
