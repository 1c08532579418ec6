"""`convert --out` must name a folder: a regular file or a symlink there is refused up front,
with --force too, in one line with a stable code, before the checkpoint is even read."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def convert(*args):
    return subprocess.run([sys.executable, "-m", "smgan.convert", *args], cwd=MODELS, capture_output=True, text=True,
                          timeout=600)


class ConvertOutputTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.ckpt = os.path.join(self.dir, "ck.pt")
        subprocess.run([sys.executable, "-m", "smgan.fixtures", "checkpoint", "--size", "64", "--small-generator",
                        "--out", self.ckpt], cwd=MODELS, check=True, capture_output=True)

    def tearDown(self):
        self.tmp.cleanup()

    def assert_refused(self, proc, code, started):
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith(f"{code}: "), lines[0])
        # up front: no export and parity run (those take tens of seconds) before the answer
        self.assertLess(time.time() - started, 20)
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith(".convert-")], [])

    def test_force_onto_a_regular_file_is_refused_and_the_file_kept(self):
        out = os.path.join(self.dir, "notes.txt")
        with open(out, "w") as f:
            f.write("keep me\n")
        for force in ([], ["--force"]):
            with self.subTest(force=force):
                started = time.time()
                self.assert_refused(convert("--checkpoint", self.ckpt, "--out", out, *force),
                                    "E_CONVERT_OUTPUT_NOT_DIR", started)
                with open(out) as f:
                    self.assertEqual(f.read(), "keep me\n")

    def test_force_onto_a_symlink_is_refused_and_its_target_kept(self):
        target = os.path.join(self.dir, "elsewhere")
        os.makedirs(target)
        with open(os.path.join(target, "data.bin"), "w") as f:
            f.write("x")
        out = os.path.join(self.dir, "link")
        os.symlink(target, out)
        started = time.time()
        self.assert_refused(convert("--checkpoint", self.ckpt, "--out", out, "--force"), "E_CONVERT_OUTPUT_NOT_DIR", started)
        self.assertTrue(os.path.islink(out))
        self.assertEqual(os.listdir(target), ["data.bin"])

    def test_out_below_a_regular_file_is_refused(self):
        parent = os.path.join(self.dir, "file")
        with open(parent, "w") as f:
            f.write("x")
        started = time.time()
        self.assert_refused(convert("--checkpoint", self.ckpt, "--out", os.path.join(parent, "model")),
                            "E_CONVERT_OUTPUT_NOT_DIR", started)


if __name__ == "__main__":
    unittest.main()
