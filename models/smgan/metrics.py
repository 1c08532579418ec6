"""Quality measures (images in [-1, 1]): the paper's reconstruction and local-edit errors,
and issue 15's sharpness.

- `psnr`: per image, of outputs clipped to [-1, 1], peak-to-peak 2;
- `sharpness`: the 4-neighbour Laplacian energy of the reconstructions' luma (ITU-R 601) over
  the held-out set, divided by the originals' (interior pixels; 1 = as much fine detail as the
  originals); `sharpness_rgb` the same over the three channels. v1 (64 px, its 1,127 held-out
  faces): 0.098 and 0.120 (issue 15 quotes 0.13: the mean of per-image ratios gives 0.119
  luma, 0.145 RGB);
- `psnr_aug_db`: with an augmentation config, the PSNR of G(E(degraded face)) against the
  clean target (smgan.augment, a fixed seed), a stand-in for real photos.
"""
from __future__ import annotations

import os

import torch
from torch.nn import functional as F

from .data import save_grid
from .losses import LAPLACE_KERNEL, laplacian

AUG_EVAL_SEED = 12345


def psnr(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of clipped outputs; peak-to-peak range 2."""
    mse = ((output.clamp(-1, 1) - target) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(4.0 / mse.clamp_min(1e-10))


def half_mask(batch: int, size: int, device=None) -> torch.Tensor:
    """1 on the right half, 0 on the left: the issue's standard local edit."""
    m = torch.zeros(batch, 1, size, size, device=device)
    m[..., size // 2:] = 1
    return m


@torch.no_grad()
def local_edit_errors(generator, encoder, src: torch.Tensor, ref: torch.Tensor):
    """Blends the right half of ref's stylemap into src's (W space) and measures
    MSE_src outside the mask against src and MSE_ref inside it against ref."""
    w_src, w_ref = encoder(src), encoder(ref)
    s = w_src.shape[-1]
    m_small = half_mask(src.shape[0], s, src.device)
    edited = generator(m_small * w_ref + (1 - m_small) * w_src).clamp(-1, 1)
    m = half_mask(src.shape[0], src.shape[-1], src.device)
    inside, outside = m.expand_as(src), (1 - m).expand_as(src)
    mse_src = (((edited - src) ** 2) * outside).flatten(1).sum(1) / outside.flatten(1).sum(1)
    mse_ref_in = (((edited - ref) ** 2) * inside).flatten(1).sum(1) / inside.flatten(1).sum(1)
    mse_src_in = (((edited - src) ** 2) * inside).flatten(1).sum(1) / inside.flatten(1).sum(1)
    return {
        "mse_src_outside": mse_src.mean().item(),
        "mse_ref_inside": mse_ref_in.mean().item(),
        "mse_src_inside": mse_src_in.mean().item(),
        "edited": edited,
    }


def laplacian_energy(x: torch.Tensor, rgb: bool = False) -> torch.Tensor:
    """Per image: the sum of the squared 4-neighbour Laplacian (interior pixels) of the luma,
    or with `rgb` of each of the three channels."""
    x = x.clamp(-1, 1)
    if rgb:
        n, c, h, w = x.shape
        lap = F.conv2d(x.reshape(n * c, 1, h, w), LAPLACE_KERNEL.to(x).view(1, 1, 3, 3))
        return lap.pow(2).reshape(n, -1).sum(1)
    return laplacian(x).pow(2).flatten(1).sum(1)


@torch.no_grad()
def evaluate(generator, encoder, faces: torch.Tensor, batch: int = 64, augment=None) -> dict:
    """Reconstruction PSNR / MSE / sharpness and local-edit errors on held-out faces; with
    `augment` (an AugmentConfig) also the PSNR from degraded inputs."""
    psnrs, mses, edits, aug_psnrs = [], [], [], []
    energy_out = energy_in = energy_out_rgb = energy_in_rgb = 0.0
    aug_gen = torch.Generator().manual_seed(AUG_EVAL_SEED)
    for i in range(0, faces.shape[0], batch):
        x = faces[i:i + batch]
        out = generator(encoder(x))
        psnrs.append(psnr(out, x))
        mses.append(((out.clamp(-1, 1) - x) ** 2).flatten(1).mean(1))
        energy_out += laplacian_energy(out).sum().item()
        energy_in += laplacian_energy(x).sum().item()
        energy_out_rgb += laplacian_energy(out, rgb=True).sum().item()
        energy_in_rgb += laplacian_energy(x, rgb=True).sum().item()
        if x.shape[0] > 1:
            e = local_edit_errors(generator, encoder, x, x.roll(1, 0))
            edits.append((e["mse_src_outside"], e["mse_ref_inside"], e["mse_src_inside"], x.shape[0]))
        if augment is not None:
            from .augment import augment_pair

            inp, target = augment_pair(x, aug_gen, augment)
            aug_psnrs.append(psnr(generator(encoder(inp)), target))
    n = sum(e[3] for e in edits)
    out = {
        "psnr_db": torch.cat(psnrs).mean().item(),
        "mse": torch.cat(mses).mean().item(),
        "sharpness": energy_out / max(energy_in, 1e-12),
        "sharpness_rgb": energy_out_rgb / max(energy_in_rgb, 1e-12),
        "mse_src_outside": sum(e[0] * e[3] for e in edits) / n,
        "mse_ref_inside": sum(e[1] * e[3] for e in edits) / n,
        "mse_src_inside": sum(e[2] * e[3] for e in edits) / n,
        "count": faces.shape[0],
    }
    if aug_psnrs:
        out["psnr_aug_db"] = torch.cat(aug_psnrs).mean().item()
    return out


@torch.no_grad()
def save_sample_grids(folder: str, generator, encoder, faces: torch.Tensor, z: torch.Tensor, prefix: str = "") -> None:
    """The three grids every tool writes: reconstructions of faces[:8], the W local edit
    (faces[:8] taking the right half from faces[8:16]) and random samples of z."""
    os.makedirs(folder, exist_ok=True)
    held = faces[:8]
    # references: the next 8 faces (fewer than 16: the same faces, shifted by one)
    refs = faces[8:16] if faces.shape[0] >= 16 else held.roll(1, 0)
    save_grid(os.path.join(folder, f"{prefix}reconstruction.png"), torch.cat([held, generator(encoder(held))]), rows=2)
    edit = local_edit_errors(generator, encoder, held, refs)["edited"]
    save_grid(os.path.join(folder, f"{prefix}local-edit-w.png"), torch.cat([held, refs, edit]), rows=3)
    save_grid(os.path.join(folder, f"{prefix}random.png"), generator(generator.map(z)), rows=2)
