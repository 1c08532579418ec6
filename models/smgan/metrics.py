"""Quality measures as the paper defines them (images in [-1, 1])."""
from __future__ import annotations

import os

import torch

from .data import save_grid


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


@torch.no_grad()
def evaluate(generator, encoder, faces: torch.Tensor, batch: int = 64) -> dict:
    """Reconstruction PSNR / MSE and local-edit errors on held-out faces."""
    psnrs, mses, edits = [], [], []
    for i in range(0, faces.shape[0], batch):
        x = faces[i:i + batch]
        out = generator(encoder(x))
        psnrs.append(psnr(out, x))
        mses.append(((out.clamp(-1, 1) - x) ** 2).flatten(1).mean(1))
        if x.shape[0] > 1:
            e = local_edit_errors(generator, encoder, x, x.roll(1, 0))
            edits.append((e["mse_src_outside"], e["mse_ref_inside"], e["mse_src_inside"], x.shape[0]))
    n = sum(e[3] for e in edits)
    return {
        "psnr_db": torch.cat(psnrs).mean().item(),
        "mse": torch.cat(mses).mean().item(),
        "mse_src_outside": sum(e[0] * e[3] for e in edits) / n,
        "mse_ref_inside": sum(e[1] * e[3] for e in edits) / n,
        "mse_src_inside": sum(e[2] * e[3] for e in edits) / n,
        "count": faces.shape[0],
    }


@torch.no_grad()
def save_sample_grids(folder: str, generator, encoder, faces: torch.Tensor, z: torch.Tensor, prefix: str = "") -> None:
    """The three grids every tool writes: reconstructions of faces[:8], the W local edit
    (faces[:8] taking the right half from faces[8:16]) and random samples of z."""
    os.makedirs(folder, exist_ok=True)
    held = faces[:8]
    save_grid(os.path.join(folder, f"{prefix}reconstruction.png"), torch.cat([held, generator(encoder(held))]), rows=2)
    edit = local_edit_errors(generator, encoder, held, faces[8:16])["edited"]
    save_grid(os.path.join(folder, f"{prefix}local-edit-w.png"), torch.cat([held, faces[8:16], edit]), rows=3)
    save_grid(os.path.join(folder, f"{prefix}random.png"), generator(generator.map(z)), rows=2)
