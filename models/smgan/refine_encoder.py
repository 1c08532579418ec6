"""Refines the encoder of a trained checkpoint with the generator frozen.

    /usr/bin/python3 -m smgan.refine_encoder --checkpoint runs/gpu/x/final.pt \
        --data ../shared/data/utkface64/train.tar --out runs/refine

The adversarial phase spends the small generator's capacity on random samples too, and
held-out reconstruction drops by a few tenths of a dB. Training only the encoder (image
reconstruction, 10 x MSE + L1, plus the latent reconstruction term that keeps its
stylemaps in the mapping network's range) wins that back without touching the generator,
so random samples and the mixing behaviour stay as they were. Cheap on a CPU: only the
encoder's weights get gradients. Resumable (`--out/latest.pt`); writes `best.pt` in the
released layout (g_ema unchanged, e_ema refined) when the held-out PSNR improves.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch
from torch.nn import functional as F

from .checkpoint import load_checkpoint
from .data import load_faces, save_grid, to_model_range
from .metrics import evaluate, local_edit_errors
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
    p.add_argument("--ema-half-life", type=float, default=100.0)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--eval-count", type=int, default=256)
    p.add_argument("--max-minutes", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--seed", type=int, default=3)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    started = time.time()
    os.makedirs(a.out, exist_ok=True)
    base = torch.load(a.checkpoint, map_location="cpu", weights_only=False)  # our own file
    g, e, cfg = load_checkpoint(a.checkpoint)
    g.requires_grad_(False)
    e_ema = load_checkpoint(a.checkpoint)[1]
    e_ema.requires_grad_(False)
    e.train()
    optim = torch.optim.Adam(e.parameters(), lr=a.lr, betas=(0.9, 0.99))
    step, best = 0, None
    latest = os.path.join(a.out, "latest.pt")
    if os.path.exists(latest):
        ck = torch.load(latest, map_location="cpu", weights_only=False)
        e.load_state_dict(ck["encoder"]); e_ema.load_state_dict(ck["e_ema"]); optim.load_state_dict(ck["optim"])
        step, best = ck["step"], ck.get("best")
        print(f"resumed at step {step}", flush=True)

    train_u8, test_u8, _ = load_faces(a.data, cache_dir=a.cache or a.out, size=cfg.size)
    test = to_model_range(test_u8)
    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    decay = 0.5 ** (1 / a.ema_half_life)
    log = open(os.path.join(a.out, "log.jsonl"), "a")

    def ship(metrics):
        atomic_save({"g_ema": g.state_dict(), "e_ema": e_ema.state_dict(), "train_args": base["train_args"],
                     "step": base.get("step"), "encoder_refine_step": step, "metrics": metrics,
                     "refined_from": os.path.basename(a.checkpoint)}, os.path.join(a.out, "best.pt"))

    if best is None:
        with torch.no_grad():
            best = evaluate(g, e_ema, test[:a.eval_count])
        best["step"] = 0
        print("start", json.dumps(best), flush=True)
    t_last = time.time()
    while step < a.steps:
        idx = torch.randint(0, len(train_u8), (a.batch,), generator=gen)
        x = to_model_range(train_u8[idx.numpy()])
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(3)
        recon = g(e(x))
        loss_mse = F.mse_loss(recon, x)
        loss = a.rec_weight * loss_mse + F.l1_loss(recon, x)
        stats = {"mse": loss_mse.item()}
        if a.w_rec_weight > 0:
            with torch.no_grad():
                w = g.map(torch.randn(a.batch, cfg.latent_channel_size, generator=gen))
                fake = g(w)
            loss_w = F.mse_loss(e(fake), w)
            loss = loss + a.w_rec_weight * loss_w
            stats["w_rec"] = loss_w.item()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        step += 1
        ema_update(e_ema, e, min(decay, (1 + step) / (10 + step)))
        if step % 10 == 0:
            now = time.time()
            stats.update(step=step, sec_per_step=round((now - t_last) / 10, 3))
            t_last = now
            log.write(json.dumps(stats) + "\n"); log.flush()
            print(json.dumps(stats), flush=True)
        out_of_time = a.max_minutes > 0 and time.time() - started > a.max_minutes * 60
        if step % a.eval_every == 0 or out_of_time or step == a.steps:
            with torch.no_grad():
                metrics = evaluate(g, e_ema, test[:a.eval_count])
            metrics["step"] = step
            log.write(json.dumps({"eval": metrics}) + "\n"); log.flush()
            print("eval", json.dumps(metrics), flush=True)
            if metrics["mse_ref_inside"] < metrics["mse_src_inside"] and metrics["psnr_db"] > best["psnr_db"]:
                best = metrics
                ship(metrics)
                with torch.no_grad():
                    held = test[:8]
                    save_grid(os.path.join(a.out, "samples_recon.png"), torch.cat([held, g(e_ema(held))]), rows=2)
                    edit = local_edit_errors(g, e_ema, test[:8], test[8:16])["edited"]
                    save_grid(os.path.join(a.out, "samples_edit.png"), torch.cat([test[:8], test[8:16], edit]), rows=3)
            atomic_save({"encoder": e.state_dict(), "e_ema": e_ema.state_dict(), "optim": optim.state_dict(),
                         "step": step, "best": best}, latest)
        if out_of_time:
            break
    log.close()


if __name__ == "__main__":
    main()
