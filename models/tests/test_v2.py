"""The 128 px v2 preparation (issue 15): data split and cache, encoder-input augmentation,
the sharpness losses and metric, real-photo framing, and a 2-step training at 128 px."""
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

from smgan.augment import OPS, AugmentConfig, apply_ops, augment_pair, sample_params
from smgan.data import face_name, held_out, load_split, read_face_files, split_names, write_face_pack
from smgan.evaluate import UTKFACE_LANDMARKS, ffhq_landmarks, similarity
from smgan.losses import discriminator_features, feature_matching_loss, highfreq_loss, nonsaturating
from smgan.metrics import evaluate, laplacian_energy
from smgan.networks import Discriminator, Encoder, Generator, ModelConfig

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def names_for(held: int, train: int) -> tuple[list[str], list[str]]:
    """UTKFace-like names: `held` in the held-out split, `train` not."""
    out, i, want = {True: [], False: []}, 0, {True: held, False: train}
    while want[True] or want[False]:
        name = f"{i}_0_0_synthetic.jpg.chip.jpg"
        if want[held_out(name)]:
            out[held_out(name)].append(name)
            want[held_out(name)] -= 1
        i += 1
    return out[True], out[False]


def face_bytes(rng, size: int, fmt: str = "JPEG") -> bytes:
    small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(small).resize((size, size), Image.BILINEAR).save(buf, format=fmt, quality=95)
    return buf.getvalue()


def write_tar(path: str, files: dict) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def faces(n: int = 8, size: int = 32, seed: int = 0, detail: float = 0.2) -> torch.Tensor:
    """Random 'faces' in [-1, 1]: smooth shapes plus fine detail."""
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 8, 8, generator=g) * 1.6 - 0.8
    smooth = torch.nn.functional.interpolate(small, size=(size, size), mode="bilinear", align_corners=False)
    return (smooth + detail * (torch.rand(n, 3, size, size, generator=g) * 2 - 1)).clamp(-1, 1)


class SplitTest(unittest.TestCase):
    def test_held_out_rule_is_the_apps(self):
        # the same rule as src-main/testing/utkface.ts isHeldOut: about 5 %, by base name only
        names = [f"{i}_1_2_2017.jpg.chip.jpg" for i in range(4000)]
        share = sum(map(held_out, names)) / len(names)
        self.assertGreater(share, 0.04)
        self.assertLess(share, 0.06)
        self.assertEqual(held_out("a/b/" + names[0]), held_out(names[0]))

    def test_duplicates_of_held_out_faces_never_train(self):
        held, train = names_for(2, 3)
        files = {n: n.encode() for n in held + train}
        files[train[0]] = files[held[0]]       # the same image under a training name
        files["copy-" + train[1]] = files[train[1]]  # a duplicate inside training is kept
        tr, te, excluded = split_names(files)
        self.assertEqual(te, sorted(held))
        self.assertEqual(excluded, [train[0]])
        self.assertNotIn(train[0], tr)
        self.assertIn("copy-" + train[1], tr)
        self.assertEqual(set(tr) | set(te) | set(excluded), set(files))

    def test_webp_pack_splits_like_the_originals(self):
        name = names_for(1, 0)[0][0]
        self.assertEqual(face_name(f"faces/{name}.webp"), name)
        rng = np.random.default_rng(2)
        held, train = names_for(2, 3)
        with tempfile.TemporaryDirectory() as tmp:
            pack = os.path.join(tmp, "faces-128.npz")
            files = {n + ".webp": face_bytes(rng, 128, "WEBP") for n in held + train}
            write_face_pack(pack, files)
            self.assertEqual(read_face_files(pack), {n[:-5]: b for n, b in files.items()})
            tr, te, info = load_split(pack, os.path.join(tmp, "cache"), 128, log=None)
            self.assertEqual((len(tr), len(te), info["test_names"]), (3, 2, sorted(held)))
            want = Image.open(io.BytesIO(files[sorted(held)[0] + ".webp"])).convert("RGB")
            np.testing.assert_array_equal(te[0], np.asarray(want).transpose(2, 0, 1))

    def test_resized_cache_memory_mapped_and_rebuilt_when_stale(self):
        rng = np.random.default_rng(0)
        with tempfile.TemporaryDirectory() as tmp:
            held, train = names_for(3, 5)
            files = {n: face_bytes(rng, 200) for n in held + train}
            files[train[0]] = files[held[0]]
            tar = os.path.join(tmp, "faces.tar")
            write_tar(tar, files)
            cache = os.path.join(tmp, "cache")
            tr, te, info = load_split(tar, cache, 128, log=None)
            self.assertEqual((tr.shape, te.shape, tr.dtype), ((4, 3, 128, 128), (3, 3, 128, 128), np.uint8))
            self.assertEqual(info["test_names"], sorted(held))
            self.assertEqual(info["excluded_duplicates_of_held_out"], [train[0]])
            # Lanczos from 200 px: the same as resizing the file here
            want = Image.open(io.BytesIO(files[sorted(held)[0]])).convert("RGB").resize((128, 128), Image.LANCZOS)
            np.testing.assert_array_equal(te[0], np.asarray(want).transpose(2, 0, 1))
            tr2, te2, _ = load_split(tar, cache, 128, log=None)
            self.assertIsInstance(tr2, np.memmap)
            np.testing.assert_array_equal(tr2, tr)
            np.testing.assert_array_equal(te2, te)
            # another tar under the same name: decoded again
            files.pop(train[1])
            write_tar(tar, files)
            os.utime(tar, (1, 1))
            tr3, _, _ = load_split(tar, cache, 128, log=None)
            self.assertEqual(len(tr3), 3)


class AugmentTest(unittest.TestCase):
    def test_shapes_range_and_determinism(self):
        x = faces(8, 32)
        cfg = AugmentConfig(p_affine=1, p_color=1, p_gray=0.5, p_blur=1, p_jpeg=1)
        a = augment_pair(x, torch.Generator().manual_seed(3), cfg)
        b = augment_pair(x, torch.Generator().manual_seed(3), cfg)
        c = augment_pair(x, torch.Generator().manual_seed(4), cfg)
        for t in a:
            self.assertEqual(t.shape, x.shape)
            self.assertEqual(t.dtype, x.dtype)
            self.assertLessEqual(t.abs().max().item(), 1.0)
        self.assertTrue(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]))
        self.assertFalse(torch.equal(a[0], c[0]))
        self.assertFalse(torch.equal(a[0], x))

    def test_target_stays_clean(self):
        x = faces(8, 32)
        everything = dict(p_affine=1, p_color=1, p_gray=1, p_blur=1, p_jpeg=1)
        # nothing shared: the target is x itself, whatever the input went through
        inp, target = augment_pair(x, torch.Generator().manual_seed(0), AugmentConfig(**everything, shared=()))
        self.assertTrue(torch.equal(target, x))
        self.assertGreater((inp - x).abs().mean().item(), 0.01)
        # the default: the target has the shared operations and never blur or JPEG
        cfg = AugmentConfig(**everything)
        inp, target = augment_pair(x, torch.Generator().manual_seed(0), cfg)
        params = sample_params(8, 32, torch.Generator().manual_seed(0), cfg)
        self.assertTrue(torch.equal(target, apply_ops(x, params, cfg.shared)))
        self.assertTrue(torch.equal(inp, apply_ops(x, params, OPS)))
        self.assertFalse(torch.equal(inp, target))
        # grayscale shared: both black-and-white
        self.assertTrue(torch.allclose(target[:, 0], target[:, 1]) and torch.allclose(target[:, 1], target[:, 2]))

    def test_off_and_each_operation(self):
        x = faces(4, 64)
        inp, target = augment_pair(x, torch.Generator().manual_seed(0), AugmentConfig().off())
        self.assertTrue(torch.equal(inp, x) and torch.equal(target, x))
        for op in OPS:
            cfg = AugmentConfig().off()
            setattr(cfg, f"p_{op}", 1.0)
            inp, _ = augment_pair(x, torch.Generator().manual_seed(1), cfg)
            self.assertGreater((inp - x).abs().mean().item(), 1e-3, op)
        # blur lowers the fine detail, JPEG stays close
        cfg = AugmentConfig().off()
        cfg.p_blur, cfg.blur_sigma = 1.0, (1.0, 1.0)
        blurred, _ = augment_pair(faces(4, 128), torch.Generator().manual_seed(1), cfg)
        self.assertLess(laplacian_energy(blurred).sum(), 0.5 * laplacian_energy(faces(4, 128)).sum())

    def test_config_string(self):
        cfg = AugmentConfig.from_string("p_jpeg=0.5,jpeg_quality=20+60,shared=gray")
        self.assertEqual((cfg.p_jpeg, cfg.jpeg_quality, cfg.shared), (0.5, (20, 60), ("gray",)))
        self.assertEqual(AugmentConfig.from_string("shared=").shared, ())
        with self.assertRaises(ValueError):
            AugmentConfig.from_string("p_nothing=1")
        with self.assertRaises(ValueError):
            AugmentConfig.from_string("shared=jpeg+warp")


class LossesTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.cfg = ModelConfig(size=32, latent_spatial_size=8, channel_cap=16, latent_channel_size=16,
                               small_generator=True)

    def test_discriminator_features_give_the_logit(self):
        d = Discriminator(self.cfg)
        x = faces(4, 32)
        logit, feats = discriminator_features(d, x)
        self.assertTrue(torch.allclose(logit, d(x), atol=1e-6))
        self.assertEqual([f.shape[-1] for f in feats], [32, 16, 8, 4])

    def test_feature_matching_zero_for_identical_and_backpropagates(self):
        d = Discriminator(self.cfg).requires_grad_(False)
        g, e = Generator(self.cfg), Encoder(self.cfg)
        x = faces(4, 32)
        _, fx = discriminator_features(d, x)
        self.assertEqual(feature_matching_loss(fx, discriminator_features(d, x.clone())[1]).item(), 0.0)
        recon = g(e(x))
        logit, fr = discriminator_features(d, recon)
        loss = feature_matching_loss(fr, fx) + nonsaturating(logit) + highfreq_loss(recon, x)
        self.assertGreater(loss.item(), 0)
        loss.backward()
        for net in (g.decoder, e):
            grads = [p.grad for p in net.parameters() if p.grad is not None]
            self.assertTrue(grads and any(gr.abs().sum() > 0 for gr in grads))
        self.assertTrue(all(p.grad is None for p in d.parameters()))

    def test_highfreq_zero_for_identical(self):
        x = faces(2, 32)
        self.assertLess(highfreq_loss(x, x.clone()).item(), 1e-6)

    def test_sharpness_metric(self):
        x = faces(6, 32)
        blur = torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        identity = torch.nn.Identity()
        # generator o encoder = identity: sharpness 1; = a 3x3 box blur: well below 1
        same = evaluate(identity, identity, x)
        self.assertAlmostEqual(same["sharpness"], 1.0, places=5)
        self.assertAlmostEqual(same["sharpness_rgb"], 1.0, places=5)
        blurred = evaluate(blur, identity, x)
        self.assertLess(blurred["sharpness"], 0.5)
        self.assertLess(blurred["sharpness_rgb"], 0.5)
        # a gray image: every channel is the luma, so the RGB energy is three times the luma's
        gray = x[:, :1].expand(-1, 3, -1, -1)
        self.assertTrue(torch.allclose(laplacian_energy(gray, rgb=True), 3 * laplacian_energy(gray), rtol=1e-4))


class RealPhotoFramingTest(unittest.TestCase):
    def test_similarity_fits_an_exact_similarity(self):
        src = np.array(UTKFACE_LANDMARKS)
        angle, scale, shift = 0.1, 0.7, np.array([0.2, -0.1])
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * scale
        m = similarity(src, src @ rot.T + shift)
        np.testing.assert_allclose(m[:, :2], rot, atol=1e-9)
        np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)
        # the FFHQ template fits the UTKFace one within a few hundredths
        ffhq = np.array(ffhq_landmarks())
        m = similarity(src, ffhq)
        self.assertLess(np.abs(src @ m[:, :2].T + m[:, 2] - ffhq).max(), 0.05)


class Train128Test(unittest.TestCase):
    def test_two_steps_at_128_px_with_every_term(self):
        rng = np.random.default_rng(1)
        with tempfile.TemporaryDirectory() as tmp:
            held, train = names_for(4, 6)
            tar = os.path.join(tmp, "faces.tar")
            write_tar(tar, {n: face_bytes(rng, 200) for n in held + train})
            out = os.path.join(tmp, "run")
            args = [sys.executable, "-m", "smgan.train", "--data", tar, "--out", out, "--size", "128",
                    "--latent-size", "16", "--latent-channels", "16", "--channel-cap", "16", "--d-channel-cap", "24",
                    "--batch", "2", "--steps", "2", "--recon-steps", "1", "--rec-adv-from", "0", "--r1-every", "1",
                    "--fm-weight", "1", "--hf-weight", "1", "--augment", "--eval-every", "2", "--eval-count", "4",
                    "--sample-every", "2", "--select-from", "0", "--select-by", "balanced", "--snapshot-every", "1",
                    "--threads", "2"]
            proc = subprocess.run(args, cwd=MODELS, capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            self.assertIn("faces: 6 train, 4 held out", proc.stdout)
            with open(os.path.join(out, "log.jsonl")) as f:
                evals = [json.loads(line)["eval"] for line in f if '"eval"' in line]
            self.assertEqual(len(evals), 1)
            for key in ("psnr_db", "sharpness", "psnr_aug_db", "mse_ref_inside"):
                self.assertTrue(np.isfinite(evals[0][key]), key)
            latest = torch.load(os.path.join(out, "latest.pt"), weights_only=False)
            self.assertEqual(latest["step"], 2)
            self.assertEqual(latest["train_args"].size, 128)
            self.assertEqual(latest["training"]["fm_weight"], 1.0)
            self.assertTrue(os.path.isfile(os.path.join(out, "step-000001.pt")))
            self.assertTrue(os.path.isfile(os.path.join(out, "best.pt")))
            proc = subprocess.run([sys.executable, "-m", "smgan.evaluate", "--checkpoint", os.path.join(out, "best.pt"),
                                   "--data", tar, "--cache", out, "--augment", "--threads", "2"],
                                  cwd=MODELS, capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            metrics = json.loads(proc.stdout.strip().splitlines()[-1])
            self.assertEqual((metrics["size"], metrics["count"]), (128, 4))
            self.assertIn("psnr_aug_db", metrics)
            # encoder-only refinement with augmented inputs, the CPU's part of v2
            refined = os.path.join(tmp, "refined")
            proc = subprocess.run([sys.executable, "-m", "smgan.refine", "--checkpoint", os.path.join(out, "best.pt"),
                                   "--data", tar, "--cache", out, "--out", refined, "--augment", "--batch", "2",
                                   "--steps", "1", "--eval-every", "1", "--eval-count", "4", "--threads", "2"],
                                  cwd=MODELS, capture_output=True, text=True, timeout=600)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            self.assertIn("psnr_aug_db", proc.stdout)
            self.assertTrue(os.path.isfile(os.path.join(refined, "final.pt")))


if __name__ == "__main__":
    unittest.main()
