"""Training losses: the GAN terms, and the sharpness terms of the 128 px model (issue 15).

Pixel losses alone average away detail the encoder cannot pin down exactly, so
reconstructions come out soft. Two terms push back, with no pretrained network:

- adversarial loss on reconstructions G(E(x)) (`nonsaturating`), the paper's domain-guided
  term: the discriminator also learns to tell reconstructions from real faces;
- feature matching (`feature_matching_loss`): L1 between the discriminator's intermediate
  features of G(E(x)) and of x, layer by layer: a perceptual distance the discriminator
  keeps learning, zero for identical images.

`highfreq_loss` (optional) matches the local energy of the 4-neighbour Laplacian of the
reconstruction to the original's, without asking for the same phase: detail of the right
amount where the original has it, which a pixel loss cannot reward.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def d_logistic(real_pred, fake_preds):
    loss = F.softplus(-real_pred).mean()
    for fp in fake_preds:
        loss = loss + F.softplus(fp).mean() / len(fake_preds)
    return loss


def nonsaturating(fake_pred):
    return F.softplus(-fake_pred).mean()


def r1_penalty(discriminator, real):
    real = real.detach().requires_grad_(True)
    pred = discriminator(real)
    (grad,) = torch.autograd.grad(pred.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


def discriminator_features(d, image):
    """(logit, features) of smgan.networks.Discriminator: the output of from_rgb and of every
    residual down-block (per face; the minibatch-stddev layer comes after them). The logit
    is exactly d(image)."""
    feats = []
    x = d.from_rgb(image)
    feats.append(x)
    for block in d.convs:
        x = block(x)
        feats.append(x)
    x = d.final_conv(d.stddev(x))
    return d.final_linear(x.flatten(1)), feats


def feature_matching_loss(fake_feats, real_feats):
    """Mean over layers of the mean absolute difference; the real side carries no gradient."""
    losses = [F.l1_loss(f, r.detach()) for f, r in zip(fake_feats, real_feats)]
    return sum(losses) / len(losses)


LAPLACE_KERNEL = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
_LUMA = (0.299, 0.587, 0.114)


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """4-neighbour Laplacian of the luma of x [N,3,H,W] -> [N,1,H-2,W-2] (interior pixels)."""
    w = torch.tensor(_LUMA, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    y = (x * w).sum(1, keepdim=True)
    return F.conv2d(y, LAPLACE_KERNEL.to(x).view(1, 1, 3, 3))


def highfreq_loss(recon: torch.Tensor, target: torch.Tensor, window: int = 8) -> torch.Tensor:
    """L1 between the local (window x window average) Laplacian energies, as square roots
    (the local RMS of the detail), of recon and target."""
    def local_rms(x):
        return (F.avg_pool2d(laplacian(x).pow(2), window, stride=window // 2) + 1e-6).sqrt()

    return F.l1_loss(local_rms(recon), local_rms(target).detach())
