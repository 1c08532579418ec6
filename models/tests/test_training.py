"""Drives the training tools end to end on a tiny synthetic face tar: train (both phases),
stop on a time limit, slim and merge the checkpoint, resume, refine the encoder."""
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from smgan.checkpoint import load_checkpoint
from smgan.data import held_out

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_tar(path: str, held: int = 16, train: int = 24) -> None:
    """Smooth random 64x64 'faces', named so that `held` of them fall in the held-out split."""
    rng = np.random.default_rng(0)
    names, i = [], 0
    want = {True: held, False: train}
    while want[True] or want[False]:
        name = f"{i}_0_0_synthetic.jpg.chip.jpg"
        h = held_out(name)
        if want[h]:
            names.append(name)
            want[h] -= 1
        i += 1
    with tarfile.open(path, "w") as tar:
        for name in names:
            small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
            img = Image.fromarray(small).resize((64, 64), Image.BILINEAR)
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=95)
            info = tarfile.TarInfo(name)
            info.size = buf.tell()
            buf.seek(0)
            tar.addfile(info, buf)


def run(*args):
    proc = subprocess.run([sys.executable, "-m", *args], cwd=MODELS, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def evals(log_path):
    with open(log_path) as f:
        return [json.loads(line)["eval"] for line in f if '"eval"' in line]


class TrainingToolsTest(unittest.TestCase):
    def test_train_slim_merge_resume_refine(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "faces.tar")
            make_tar(data)
            out = os.path.join(tmp, "run")
            common = ["--data", data, "--out", out, "--batch", "2", "--recon-steps", "2", "--select-from", "3",
                      "--eval-every", "2", "--eval-count", "16", "--sample-every", "2", "--r1-every", "2",
                      "--threads", "2"]
            stdout = run("smgan.train", *common, "--steps", "4")
            self.assertIn("faces: 24 train, 16 held out", stdout)
            self.assertEqual([e["step"] for e in evals(os.path.join(out, "log.jsonl"))], [2, 4])
            for grid in ("samples_random.png", "samples_reconstruction.png", "samples_local-edit-w.png"):
                self.assertTrue(os.path.isfile(os.path.join(out, grid)), grid)
            # best.pt only from --select-from on, i.e. the GAN-phase evaluation at step 4
            best = torch.load(os.path.join(out, "best.pt"), weights_only=False)
            self.assertEqual(best["step"], 4)
            latest = torch.load(os.path.join(out, "latest.pt"), weights_only=False)
            self.assertIn("d_optim", latest)

            ship, state = os.path.join(tmp, "ship.pt"), os.path.join(tmp, "state.pt")
            run("smgan.slim", "--checkpoint", os.path.join(out, "latest.pt"), "--out", ship)
            run("smgan.slim", "--checkpoint", os.path.join(out, "latest.pt"), "--part", "training", "--out", state)
            self.assertEqual(set(torch.load(ship, weights_only=False)) & {"generator", "g_optim"}, set())
            self.assertNotIn("g_ema", torch.load(state, weights_only=False))
            g, _, cfg = load_checkpoint(ship)  # the converter's reader accepts the slim file
            self.assertEqual(cfg.size, 64)

            resumed = os.path.join(tmp, "resumed")
            os.makedirs(resumed)
            run("smgan.slim", "--merge", ship, state, "--out", os.path.join(resumed, "latest.pt"))
            stdout = run("smgan.train", *common[:2], "--out", resumed, *common[4:], "--steps", "6",
                         "--cache", out)
            self.assertIn("resumed at step 4", stdout)
            self.assertIn("Adam restarts", stdout)
            self.assertEqual(torch.load(os.path.join(resumed, "latest.pt"), weights_only=False)["step"], 6)

            refined = os.path.join(tmp, "refined")
            run("smgan.refine", "--checkpoint", ship, "--data", data, "--cache", out, "--out", refined,
                "--batch", "2", "--steps", "3", "--eval-every", "1", "--eval-count", "16", "--threads", "2",
                "--lr", "0.01")
            steps = [e["step"] for e in evals(os.path.join(refined, "log.jsonl"))]
            self.assertEqual(steps, [1, 2, 3])
            g2, e2, _ = load_checkpoint(os.path.join(refined, "final.pt"))
            for (k, v), v2 in zip(g.state_dict().items(), g2.state_dict().values()):
                self.assertTrue(torch.equal(v, v2), f"generator changed: {k}")
            _, e1, _ = load_checkpoint(ship)
            self.assertFalse(all(torch.equal(a, b) for a, b in zip(e1.state_dict().values(), e2.state_dict().values())))

            # a file that is not a checkpoint: one line with a stable code, no checkpoint written
            junk = os.path.join(tmp, "junk.pt")
            with open(junk, "wb") as f:
                f.write(b"not a checkpoint")
            proc = subprocess.run([sys.executable, "-m", "smgan.refine", "--checkpoint", junk, "--data", data,
                                   "--out", os.path.join(tmp, "junk-out")], cwd=MODELS, capture_output=True, text=True)
            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(proc.stderr.strip().splitlines(), ["E_CONVERT_NOT_CHECKPOINT: junk.pt is not a readable PyTorch checkpoint (UnpicklingError)"])
            self.assertFalse(os.path.exists(os.path.join(tmp, "junk-out", "best.pt")))

            # --tune-decoder: the synthesis network trains, the mapping network does not
            tuned = os.path.join(tmp, "tuned")
            run("smgan.refine", "--checkpoint", ship, "--data", data, "--cache", out, "--out", tuned,
                "--batch", "2", "--steps", "3", "--eval-every", "1", "--eval-count", "16", "--threads", "2",
                "--lr", "0.01", "--tune-decoder")
            g3, _, _ = load_checkpoint(os.path.join(tuned, "final.pt"))
            before, after = g.state_dict(), g3.state_dict()
            changed = {k for k in before if not torch.equal(before[k], after[k])}
            self.assertTrue(changed and all(k.startswith("decoder.") for k in changed), sorted(changed)[:3])



if __name__ == "__main__":
    unittest.main()
