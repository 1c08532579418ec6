"""Checkpoints are read with a restricted unpickler: a file that pickles a call (here
os.makedirs) is refused with a stable code by every tool that reads one, and the call never
runs; released-format files (tensors, OrderedDict, argparse.Namespace, optimiser state)
still load, in torch's zip format and in its legacy format."""
import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import unittest

import torch

from smgan.checkpoint import ConvertError, config_from, load_checkpoint, read_checkpoint, safe_torch_load
from smgan.networks import ModelConfig
from smgan.export import random_models

from tests.test_training import make_tar

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class MakesDirectory:
    """Pickles as a call to os.makedirs(marker): what a hostile checkpoint would run."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


class CallsEval:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"__import__('os').makedirs({self.marker!r})",))


class AllocatesBytes:
    """Pickles as bytearray(n): harmless code, but n bytes allocated (gigabytes from a tiny file)."""

    def __reduce__(self):
        return (bytearray, (1 << 20,))


def released_train_args(size=64):
    return argparse.Namespace(
        size=size, mapping_layer_num=8, latent_channel_size=64, latent_spatial_size=8, lr_mul=0.01,
        channel_multiplier=2, normalize_mode="LayerNorm", small_generator=True, batch=16, lr=0.002,
        iter=0, dataset="random",
    )


def released_checkpoint():
    cfg = ModelConfig.from_train_args(released_train_args())
    g, e = random_models(cfg, seed=0)
    # optimiser state as training files hold it: step counters and moment tensors per parameter
    layer = torch.nn.Linear(3, 2)
    optim = torch.optim.Adam(layer.parameters(), lr=0.002, betas=(0.0, 0.99))
    layer(torch.randn(4, 3)).square().mean().backward()
    optim.step()
    return {"g_ema": g.state_dict(), "e_ema": e.state_dict(), "generator": g.state_dict(),
            "g_optim": optim.state_dict(), "train_args": released_train_args(), "step": 3,
            "best": {"psnr_db": 20.5, "step": 3}, "metrics": None,
            "layer": layer.state_dict(keep_vars=True)}, g


def run(module, *args):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=MODELS, capture_output=True, text=True,
                          timeout=600)


class RestrictedUnpicklerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.marker = os.path.join(self.dir, "pwned")

    def tearDown(self):
        self.tmp.cleanup()

    def evil(self, name="evil.pt", legacy=False, payload=None):
        path = os.path.join(self.dir, name)
        ck = {"g_ema": {}, "e_ema": {}, "train_args": payload or MakesDirectory(self.marker)}
        torch.save(ck, path, _use_new_zipfile_serialization=not legacy)
        return path

    def assert_refused_cleanly(self, proc, *absent):
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("E_CONVERT_UNSAFE: "), lines[0])
        self.assertIn("os.makedirs", lines[0])
        self.assertNotIn("Traceback", proc.stderr)
        self.assertFalse(os.path.exists(self.marker), "the pickled call ran")
        for path in absent:
            self.assertFalse(os.path.exists(path), path)

    def test_reader_refuses_pickled_calls_without_running_them(self):
        # os.makedirs; a builtin outside the allow-list (eval); an allowed-looking builtin that
        # allocates what the file asks for (bytearray(n))
        payloads = (("os.makedirs", MakesDirectory(self.marker)), ("eval", CallsEval(self.marker)),
                    ("bytearray", AllocatesBytes()))
        for (named, payload), legacy in itertools.product(payloads, (False, True)):
            with self.subTest(named=named, legacy=legacy):
                path = self.evil(legacy=legacy, payload=payload)
                with self.assertRaises(ConvertError) as caught:
                    read_checkpoint(path)
                self.assertEqual(caught.exception.code, "E_CONVERT_UNSAFE")
                self.assertIn(named, str(caught.exception))
                self.assertFalse(os.path.exists(self.marker))

    def test_released_layout_still_loads(self):
        ck, g = released_checkpoint()
        for legacy in (False, True):
            with self.subTest(legacy=legacy):
                path = os.path.join(self.dir, f"released-{legacy}.pt")
                torch.save(ck, path, _use_new_zipfile_serialization=not legacy)
                loaded = safe_torch_load(path)
                self.assertIsInstance(loaded["train_args"], argparse.Namespace)
                self.assertEqual(loaded["train_args"].size, 64)
                self.assertEqual(loaded["g_optim"]["param_groups"][0]["betas"], (0.0, 0.99))
                self.assertEqual(loaded["best"], {"psnr_db": 20.5, "step": 3})
                self.assertIsInstance(loaded["layer"]["weight"], torch.nn.Parameter)
                g2, _, cfg = load_checkpoint(path)
                self.assertEqual(cfg.size, 64)
                for (k, v), v2 in zip(g.state_dict().items(), g2.state_dict().values()):
                    self.assertTrue(torch.equal(v, v2), k)

    def test_convert_refuses_it(self):
        out = os.path.join(self.dir, "model")
        self.assert_refused_cleanly(run("smgan.convert", "--checkpoint", self.evil(), "--out", out), out)

    def test_evaluate_refuses_it(self):
        data = os.path.join(self.dir, "faces.tar")
        make_tar(data, held=2, train=2)
        self.assert_refused_cleanly(run("smgan.evaluate", "--checkpoint", self.evil(), "--data", data))

    def test_slim_refuses_it(self):
        out = os.path.join(self.dir, "slim.pt")
        self.assert_refused_cleanly(run("smgan.slim", "--checkpoint", self.evil(), "--out", out), out)
        good = os.path.join(self.dir, "good.pt")
        torch.save(released_checkpoint()[0], good)
        self.assert_refused_cleanly(run("smgan.slim", "--merge", good, self.evil(), "--out", out), out)

    def test_train_and_refine_refuse_an_unsafe_latest_pt_on_resume(self):
        data = os.path.join(self.dir, "faces.tar")
        make_tar(data, held=2, train=2)
        train_out = os.path.join(self.dir, "train")
        os.makedirs(train_out)
        self.evil(os.path.join("train", "latest.pt"))
        self.assert_refused_cleanly(run("smgan.train", "--data", data, "--out", train_out, "--steps", "1",
                                        "--threads", "1"), os.path.join(train_out, "best.pt"))

        good = os.path.join(self.dir, "good.pt")
        torch.save(released_checkpoint()[0], good)
        refine_out = os.path.join(self.dir, "refine")
        os.makedirs(refine_out)
        self.evil(os.path.join("refine", "latest.pt"))
        self.assert_refused_cleanly(run("smgan.refine", "--checkpoint", good, "--data", data, "--out", refine_out,
                                        "--steps", "1", "--threads", "1"), os.path.join(refine_out, "best.pt"))


class AppLimitsTest(unittest.TestCase):
    """The app refuses model folders above 1024 px, with stylemaps above 64x64 or with more than
    1024 channels (src-main/engine/manifest.ts, modelLimits): the converter does not write one."""

    def test_sizes_the_app_refuses_are_refused_before_export(self):
        too_large = ({"size": 2048}, {"latent_spatial_size": 128}, {"latent_channel_size": 2048},
                     {"channel_multiplier": 8, "small_generator": False})  # 64 px blocks: 256 * 8 channels
        for change in too_large:
            with self.subTest(**change):
                args = released_train_args(size=1024)
                vars(args).update(change)
                with self.assertRaises(ConvertError) as caught:
                    config_from({"train_args": args})
                self.assertEqual(caught.exception.code, "E_CONVERT_CONFIG")
                self.assertIn("at most", str(caught.exception))
        self.assertEqual(config_from({"train_args": released_train_args(size=1024)}).size, 1024)
        # the released 256 px configuration (channel multiplier 2, full generator) is within them
        args = released_train_args(size=256)
        args.small_generator = False
        self.assertEqual(config_from({"train_args": args}).channels()[64], 512)


if __name__ == "__main__":
    unittest.main()
