"""Refines a trained checkpoint for reconstruction, keeping its random samples.

    /usr/bin/python3 -m smgan.refine --checkpoint runs/gpu/x/final.pt \
        --data ../shared/data/utkface64/train.tar --out runs/refine [--tune-decoder]

The adversarial phase spends the small generator's capacity on random samples too, and
held-out reconstruction drops by a few tenths of a dB. This wins it back with image
reconstruction (10 x MSE + L1) and the latent reconstruction term that keeps the encoder's
stylemaps in the mapping network's range:

- by default only the encoder trains; the generator is frozen, so random samples and the
  mixing behaviour stay exactly as they were;
- `--tune-decoder` also trains the synthesis network (the mapping network stays frozen),
  anchored to the starting generator: for random stylemaps its output must stay near the
  original generator's (`--anchor-weight`), so random generation keeps its faces;
- `--augment` degrades the encoder's input (smgan.augment) against the clean target, for
  robustness to real photos (the 128 px v2 model's encoder-only refinement on a CPU).

Cheap on a CPU. Resumable (`--out/latest.pt`); writes `best.pt` in the released layout
(g_ema, e_ema, train_args) when the held-out PSNR improves, and `final.pt` when it stops.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import time

import torch
from torch.nn import functional as F

from .augment import AugmentConfig, augment_pair
from .checkpoint import ConvertError, load_checkpoint, read_checkpoint, safe_torch_load
from .data import load_faces, to_model_range
from .metrics import evaluate, save_sample_grids
from .train import atomic_save, ema_update


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cache", default=None)
    p.add_argument("--steps", type=int, default=100000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.0005)
    p.add_argument("--rec-weight", type=float, default=10.0)
    p.add_argument("--w-rec-weight", type=float, default=1.0)
    p.add_argument("--tune-decoder", action="store_true", help="also train the synthesis network (mapping frozen)")
    p.add_argument("--anchor-weight", type=float, default=10.0,
                   help="with --tune-decoder: weight of MSE(random sample, starting generator's sample)")
    p.add_argument("--ema-half-life", type=float, default=100.0)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--eval-count", type=int, default=256)
    p.add_argument("--max-minutes", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads (0: every core; Debian's torch otherwise uses one of two here, half the speed)")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--augment", action="store_true",
                   help="degrade the encoder's input (smgan.augment), the target stays clean: robustness to real photos")
    p.add_argument("--augment-config", default="", help="AugmentConfig overrides, e.g. 'p_jpeg=0.5'")
    a = p.parse_args(argv)
    aug_cfg = AugmentConfig.from_string(a.augment_config) if a.augment else None
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    started = time.time()
    os.makedirs(a.out, exist_ok=True)
    base = read_checkpoint(a.checkpoint)
    g, e, cfg = load_checkpoint(a.checkpoint)
    g_start, e_ema = copy.deepcopy(g), copy.deepcopy(e)
    g_ema = copy.deepcopy(g) if a.tune_decoder else g
    for m in (g, g_start, g_ema, e_ema):
        m.requires_grad_(False)
    params = list(e.parameters())
    if a.tune_decoder:
        g.decoder.requires_grad_(True)
        params += list(g.decoder.parameters())
    e.train()
    optim = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.99))
    step, best = 0, None
    latest = os.path.join(a.out, "latest.pt")
    if os.path.exists(latest):
        ck = safe_torch_load(latest)
        e.load_state_dict(ck["encoder"]); e_ema.load_state_dict(ck["e_ema"]); optim.load_state_dict(ck["optim"])
        if a.tune_decoder:
            g.load_state_dict(ck["generator"]); g_ema.load_state_dict(ck["g_ema"])
        step, best = ck["step"], ck.get("best")
        print(f"resumed at step {step}", flush=True)

    train_u8, test_u8, _ = load_faces(a.data, cache_dir=a.cache or a.out, size=cfg.size)
    test = to_model_range(test_u8)
    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    aug_gen = torch.Generator().manual_seed(a.seed * 7919 + step)
    decay = 0.5 ** (1 / a.ema_half_life)
    log = open(os.path.join(a.out, "log.jsonl"), "a")

    def ship(metrics, name="best.pt"):
        atomic_save({"g_ema": g_ema.state_dict(), "e_ema": e_ema.state_dict(), "train_args": base["train_args"],
                     "step": base.get("step"), "refine_step": step, "refined_decoder": a.tune_decoder,
                     "metrics": metrics, "refined_from": os.path.basename(a.checkpoint)}, os.path.join(a.out, name))

    if best is None:
        with torch.no_grad():
            best = evaluate(g_ema, e_ema, test[:a.eval_count], augment=aug_cfg)
        best["step"] = 0
        print("start", json.dumps(best), flush=True)
    t_last = time.time()
    metrics = None
    while step < a.steps:
        idx = torch.randint(0, len(train_u8), (a.batch,), generator=gen)
        x = to_model_range(train_u8[idx.numpy()])
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(3)
        inp, x = augment_pair(x, aug_gen, aug_cfg) if aug_cfg else (x, x)
        recon = g(e(inp))
        loss_mse = F.mse_loss(recon, x)
        loss = a.rec_weight * loss_mse + F.l1_loss(recon, x)
        stats = {"mse": loss_mse.item()}
        if a.w_rec_weight > 0 or a.tune_decoder:
            with torch.no_grad():
                w = g.map(torch.randn(a.batch, cfg.latent_channel_size, generator=gen))
                target = g_start(w)
        if a.w_rec_weight > 0:
            loss_w = F.mse_loss(e(target), w)
            loss = loss + a.w_rec_weight * loss_w
            stats["w_rec"] = loss_w.item()
        if a.tune_decoder:
            loss_anchor = F.mse_loss(g(w), target)
            loss = loss + a.anchor_weight * loss_anchor
            stats["anchor"] = loss_anchor.item()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        step += 1
        ema_update(e_ema, e, min(decay, (1 + step) / (10 + step)))
        if a.tune_decoder:
            ema_update(g_ema, g, min(decay, (1 + step) / (10 + step)))
        if step % 10 == 0:
            now = time.time()
            stats.update(step=step, sec_per_step=round((now - t_last) / 10, 3))
            t_last = now
            log.write(json.dumps(stats) + "\n"); log.flush()
            print(json.dumps(stats), flush=True)
        out_of_time = a.max_minutes > 0 and time.time() - started > a.max_minutes * 60
        if step % a.eval_every == 0 or out_of_time or step == a.steps:
            with torch.no_grad():
                metrics = evaluate(g_ema, e_ema, test[:a.eval_count], augment=aug_cfg)
            metrics["step"] = step
            log.write(json.dumps({"eval": metrics}) + "\n"); log.flush()
            print("eval", json.dumps(metrics), flush=True)
            if metrics["mse_ref_inside"] < metrics["mse_src_inside"] and metrics["psnr_db"] > best["psnr_db"]:
                best = metrics
                ship(metrics)
                z = torch.randn(16, cfg.latent_channel_size, generator=torch.Generator().manual_seed(7))
                save_sample_grids(a.out, g_ema, e_ema, test, z, prefix="samples_")
            state = {"encoder": e.state_dict(), "e_ema": e_ema.state_dict(), "optim": optim.state_dict(),
                     "step": step, "best": best}
            if a.tune_decoder:
                state.update(generator=g.state_dict(), g_ema=g_ema.state_dict())
            atomic_save(state, latest)
        if out_of_time:
            break
    ship(metrics, "final.pt")  # whatever the PSNR did; metrics of the last evaluation
    log.close()


if __name__ == "__main__":
    try:
        main()
    except ConvertError as exc:  # an unreadable or mismatched checkpoint: one line, stable code
        raise SystemExit(f"{exc.code}: {exc}") from None
