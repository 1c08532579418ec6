"""Trains a small StyleMapGAN on aligned faces; resumable, runs on CPU or CUDA.

    /usr/bin/python3 -m smgan.train --data ../shared/data/utkface64/train.tar --out runs/utkface
    /usr/bin/python3 -m smgan.train --data ../shared/data/utkface200/train.tar --size 128 \
        --latent-size 16 --latent-channels 64 --channel-cap 48 --augment --fm-weight 1 --out runs/v2

Schedule: `--recon-steps` steps as an autoencoder (encoder + generator, pixel losses), then
the paper's full objective: non-saturating GAN loss with R1, image reconstruction with a
domain-guided adversarial term on reconstructions, and latent reconstruction for the
encoder. Checkpoints use the released layout (g_ema, e_ema, ..., train_args), so the
converter turns them into a model folder like any released file.

For sharper reconstructions (smgan.losses), off by default:
- `--fm-weight`: feature matching on the discriminator's intermediate features, G(E(x)) vs x;
- `--hf-weight`: local Laplacian-energy matching;
- `--rec-adv-from STEP`: the discriminator starts learning real vs reconstruction (with R1,
  and the adversarial and feature-matching terms on reconstructions) at STEP, before the
  random-sample GAN of `--recon-steps`; default: with it.
`--augment` degrades the encoder's input (smgan.augment; the target stays clean) and
`--d-channel-cap` widens the discriminator alone (it is not exported).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import time

import numpy as np
import torch
from torch.nn import functional as F

from .augment import AugmentConfig, augment_pair
from .checkpoint import ConvertError, safe_torch_load
from .data import load_split, to_model_range
from .losses import (d_logistic, discriminator_features, feature_matching_loss, highfreq_loss, nonsaturating,
                     r1_penalty)
from .metrics import evaluate, save_sample_grids
from .networks import Discriminator, Encoder, Generator, ModelConfig, count_parameters


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=100000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--channel-cap", type=int, default=64)
    p.add_argument("--latent-channels", type=int, default=64)
    p.add_argument("--latent-size", type=int, default=8)
    p.add_argument("--recon-steps", type=int, default=3000)
    p.add_argument("--rec-weight", type=float, default=10.0)
    p.add_argument("--adv-rec-weight", type=float, default=0.05)
    p.add_argument("--r1", type=float, default=10.0)
    p.add_argument("--r1-every", type=int, default=16)
    p.add_argument("--ema-half-life", type=float, default=500.0, help="in steps")
    p.add_argument("--sample-every", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-count", type=int, default=256, help="held-out faces used for the in-training evaluation")
    p.add_argument("--ckpt-every", type=int, default=50)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads (0: every core; Debian's torch otherwise uses one of two here, half the speed)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cache", default=None, help="folder for the decoded-faces cache (default: --out)")
    p.add_argument("--max-minutes", type=float, default=0.0,
                   help="stop after this much wall time (0: no limit), with a final evaluation and checkpoint")
    p.add_argument("--select-from", type=int, default=None,
                   help="best.pt only considers evaluations from this step on (default: --recon-steps, "
                        "so the shipped weights have a trained mapping network)")
    p.add_argument("--select-by", choices=("psnr", "balanced"), default="psnr",
                   help="best.pt: highest held-out PSNR, or (balanced) PSNR less 10 dB per unit of "
                        "sharpness short of --sharpness-target")
    p.add_argument("--sharpness-target", type=float, default=0.35)
    p.add_argument("--snapshot-every", type=int, default=0,
                   help="also keep g_ema/e_ema/train_args of every Nth step as step-N.pt (0: never)")
    # issue 15: sharpness and robustness
    p.add_argument("--fm-weight", type=float, default=0.0, help="feature matching on D's features of G(E(x))")
    p.add_argument("--hf-weight", type=float, default=0.0, help="local Laplacian-energy matching of G(E(x))")
    p.add_argument("--rec-adv-from", type=int, default=None,
                   help="step from which D learns real vs reconstruction and the adversarial / FM terms on "
                        "reconstructions apply (default: --recon-steps)")
    p.add_argument("--augment", action="store_true", help="degrade the encoder's input (smgan.augment)")
    p.add_argument("--augment-config", default="", help="AugmentConfig overrides, e.g. 'p_jpeg=0.5,shared=gray'")
    p.add_argument("--d-channel-cap", type=int, default=None, help="the discriminator's channel cap (default: --channel-cap)")
    p.add_argument("--d-lr", type=float, default=None, help="the discriminator's learning rate (default: --lr)")
    return p.parse_args(argv)


def make_train_args(a) -> argparse.Namespace:
    """The released train_args fields plus our channel cap."""
    return argparse.Namespace(
        size=a.size, mapping_layer_num=8, latent_channel_size=a.latent_channels,
        latent_spatial_size=a.latent_size, lr_mul=0.01, channel_multiplier=2,
        normalize_mode="LayerNorm", small_generator=True, channel_cap=a.channel_cap,
        batch=a.batch, lr=a.lr, dataset=dataset_name(a.data),
    )


def dataset_name(path: str) -> str:
    """utkface64 / utkface200 (the tar's folder), else the file's name without extension."""
    base = os.path.splitext(os.path.basename(path))[0]
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return parent if base == "train" and parent else base


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def ema_update(target, source, decay):
    for pt, ps in zip(target.parameters(), source.parameters()):
        pt.lerp_(ps, 1 - decay)
    for bt, bs in zip(target.buffers(), source.buffers()):
        bt.copy_(bs)


def selection_score(metrics: dict, select_by: str, sharpness_target: float) -> float:
    """What best.pt maximises: PSNR, or PSNR less 10 dB per unit of sharpness short of the target."""
    if select_by == "psnr":
        return metrics["psnr_db"]
    return metrics["psnr_db"] - 10 * max(0.0, sharpness_target - metrics.get("sharpness", 0.0))


def main(argv=None):
    a = parse_args(argv)
    device = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if a.device == "auto" else a.device))
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    select_from = a.recon_steps if a.select_from is None else a.select_from
    rec_adv_from = a.recon_steps if a.rec_adv_from is None else a.rec_adv_from
    aug_cfg = AugmentConfig.from_string(a.augment_config) if a.augment else None
    started = time.time()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)

    train_u8, test_u8, _ = load_split(a.data, cache_dir=a.cache or a.out, size=a.size, mmap=device.type != "cuda")
    test = to_model_range(test_u8).to(device)
    # on a GPU the whole training set (uint8: 64 px ~270 MB, 128 px ~1.1 GB) lives on the device
    train_src = torch.from_numpy(np.ascontiguousarray(train_u8)).to(device) if device.type == "cuda" else train_u8
    print(f"faces: {len(train_u8)} train, {len(test_u8)} held out; device {device}", flush=True)

    targs = make_train_args(a)
    cfg = ModelConfig.from_train_args(targs)
    d_cfg = dataclasses.replace(cfg, channel_cap=a.d_channel_cap) if a.d_channel_cap else cfg
    g, e, d = Generator(cfg).to(device), Encoder(cfg).to(device), Discriminator(d_cfg).to(device)
    g_ema, e_ema = copy.deepcopy(g).eval(), copy.deepcopy(e).eval()
    for m in (g_ema, e_ema):
        m.requires_grad_(False)
    betas = (0.5, 0.99)
    ge_optim = torch.optim.Adam(list(g.parameters()) + list(e.parameters()), lr=a.lr, betas=betas)
    e_optim = torch.optim.Adam(e.parameters(), lr=a.lr, betas=betas)
    d_optim = torch.optim.Adam(d.parameters(), lr=a.d_lr or a.lr, betas=betas)
    print(f"params: G {count_parameters(g)/1e6:.2f} M, E {count_parameters(e)/1e6:.2f} M, "
          f"D {count_parameters(d)/1e6:.2f} M", flush=True)
    training = {k: getattr(a, k) for k in ("rec_weight", "adv_rec_weight", "fm_weight", "hf_weight", "r1", "r1_every",
                                           "recon_steps", "ema_half_life", "d_channel_cap", "augment", "augment_config")}
    training["rec_adv_from"] = rec_adv_from

    latest = os.path.join(a.out, "latest.pt")
    step, best = 0, None
    if os.path.exists(latest):
        ck = safe_torch_load(latest, map_location=device)
        g.load_state_dict(ck["generator"]); e.load_state_dict(ck["encoder"]); d.load_state_dict(ck["discriminator"])
        g_ema.load_state_dict(ck["g_ema"]); e_ema.load_state_dict(ck["e_ema"])
        if "g_optim" in ck:
            ge_optim.load_state_dict(ck["g_optim"]); e_optim.load_state_dict(ck["e_optim"]); d_optim.load_state_dict(ck["d_optim"])
        else:
            print("no optimiser state in the checkpoint: Adam restarts from zero moments", flush=True)
        step, best = ck["step"], ck.get("best")
        print(f"resumed at step {step}", flush=True)

    def checkpoint(path, metrics=None):
        atomic_save({
            "g_ema": g_ema.state_dict(), "e_ema": e_ema.state_dict(),
            "generator": g.state_dict(), "encoder": e.state_dict(), "discriminator": d.state_dict(),
            "g_optim": ge_optim.state_dict(), "e_optim": e_optim.state_dict(), "d_optim": d_optim.state_dict(),
            "train_args": targs, "step": step, "best": best, "metrics": metrics, "training": training,
        }, path)

    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    aug_gen = torch.Generator().manual_seed(a.seed * 7919 + step)
    fixed_z = torch.randn(16, cfg.latent_channel_size, generator=torch.Generator().manual_seed(7)).to(device)
    log = open(os.path.join(a.out, "log.jsonl"), "a")
    ema_decay = 0.5 ** (1 / a.ema_half_life)
    n_train = len(train_u8)
    t_last = time.time()
    while step < a.steps:
        idx = torch.randint(0, n_train, (a.batch,), generator=gen)
        if device.type == "cuda":
            x = train_src[idx.to(device)].float().div_(127.5).sub_(1.0)
        else:
            x = to_model_range(train_src[np.sort(idx.numpy())])
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(3)
        # the encoder sees inp; every loss compares with the clean target x
        inp, x = augment_pair(x, aug_gen, aug_cfg) if aug_cfg else (x, x)
        gan = step >= a.recon_steps
        rec_adv = step >= rec_adv_from
        stats = {}

        if gan or rec_adv:
            d.requires_grad_(True)
            with torch.no_grad():
                recon = g(e(inp))
                fakes = [g(g.map(torch.randn(a.batch, cfg.latent_channel_size, device=device))), recon] if gan else [recon]
            loss_d = d_logistic(d(x), [d(f) for f in fakes])
            d_optim.zero_grad(set_to_none=True)
            loss_d.backward()
            d_optim.step()
            stats["d"] = loss_d.item()
            if step % a.r1_every == 0:
                r1 = r1_penalty(d, x)
                d_optim.zero_grad(set_to_none=True)
                (a.r1 / 2 * r1 * a.r1_every).backward()
                d_optim.step()
                stats["r1"] = r1.item()
            d.requires_grad_(False)

        w_x = e(inp)
        recon = g(w_x)
        loss_mse = F.mse_loss(recon, x)
        loss = a.rec_weight * loss_mse + F.l1_loss(recon, x)
        stats["mse"] = loss_mse.item()
        if rec_adv:
            if a.fm_weight > 0:
                logit_rec, feats_rec = discriminator_features(d, recon)
                with torch.no_grad():
                    _, feats_x = discriminator_features(d, x)
                loss_fm = feature_matching_loss(feats_rec, feats_x)
                loss = loss + a.fm_weight * loss_fm
                stats["fm"] = loss_fm.item()
            else:
                logit_rec = d(recon)
            loss_adv_rec = nonsaturating(logit_rec)
            loss = loss + a.adv_rec_weight * loss_adv_rec
            stats["rec_adv"] = loss_adv_rec.item()
        if a.hf_weight > 0:
            loss_hf = highfreq_loss(recon, x)
            loss = loss + a.hf_weight * loss_hf
            stats["hf"] = loss_hf.item()
        if gan:
            w_rand = g.map(torch.randn(a.batch, cfg.latent_channel_size, device=device))
            fake = g(w_rand)
            loss_adv = nonsaturating(d(fake))
            loss = loss + loss_adv
            stats["g_adv"] = loss_adv.item()
        ge_optim.zero_grad(set_to_none=True)
        loss.backward()
        ge_optim.step()

        if gan:
            # latent reconstruction trains the encoder only
            w_rand = w_rand.detach()
            loss_w = F.mse_loss(e(fake.detach()), w_rand)
            e_optim.zero_grad(set_to_none=True)
            loss_w.backward()
            e_optim.step()
            stats["w_rec"] = loss_w.item()

        step += 1
        decay = min(ema_decay, (1 + step) / (10 + step))
        ema_update(g_ema, g, decay)
        ema_update(e_ema, e, decay)

        if step % 10 == 0:
            now = time.time()
            stats.update(step=step, sec_per_step=round((now - t_last) / 10, 3),
                         phase="gan" if gan else ("recon+adv" if rec_adv else "recon"))
            t_last = now
            log.write(json.dumps(stats) + "\n"); log.flush()
            print(json.dumps(stats), flush=True)
        out_of_time = a.max_minutes > 0 and time.time() - started > a.max_minutes * 60
        if step % a.sample_every == 0 or out_of_time:
            save_sample_grids(a.out, g_ema, e_ema, test, fixed_z, prefix="samples_")
        metrics = None
        if step % a.eval_every == 0 or out_of_time:
            metrics = evaluate(g_ema, e_ema, test[:a.eval_count], augment=aug_cfg)
            metrics["step"] = step
            log.write(json.dumps({"eval": metrics}) + "\n"); log.flush()
            print("eval", json.dumps(metrics), flush=True)
            good = metrics["mse_ref_inside"] < metrics["mse_src_inside"]
            score = selection_score(metrics, a.select_by, a.sharpness_target)
            if good and step >= select_from and (
                    best is None or score > selection_score(best, a.select_by, a.sharpness_target)):
                best = metrics
                checkpoint(os.path.join(a.out, "best.pt"), metrics)
        if a.snapshot_every and step % a.snapshot_every == 0:
            atomic_save({"g_ema": g_ema.state_dict(), "e_ema": e_ema.state_dict(), "train_args": targs,
                         "step": step, "metrics": metrics, "training": training},
                        os.path.join(a.out, f"step-{step:06d}.pt"))
        if step % a.ckpt_every == 0 or step == a.steps or out_of_time:
            checkpoint(latest)
        if out_of_time:
            print(f"stopping at step {step}: --max-minutes {a.max_minutes} reached", flush=True)
            break
    log.close()


if __name__ == "__main__":
    try:
        main()
    except ConvertError as exc:  # an unsafe or unreadable latest.pt: one line, stable code
        raise SystemExit(f"{exc.code}: {exc}") from None
