"""history.json (record_previous): a template rebuild that changes the graphs records the version it
replaces, once, with its data file layout where every tensor is stored as the checkpoint holds it;
layouts are shared between versions."""
import json
import os
import tempfile
import unittest

from smgan.templates import HISTORY_FORMAT, record_previous


def template(graphs, tensors):
    """A template.json's fields record_previous reads: graphs {file: sha256 char}, tensors [(key, offset, length, transform)]."""
    files = {name.split(".")[0]: name for name in graphs}
    return {"files": files, "sha256": {name: ch * 64 for name, ch in graphs.items()},
            "weights": {"generator.weights": {"size": tensors[-1][1] + tensors[-1][2],
                                              "tensors": [{"key": k, "offset": o, "length": n, "transform": t}
                                                          for k, o, n, t in tensors]}}}


RAW = [("g_ema.a", 0, 16, None), ("g_ema.b", 4096, 8, None)]


class RecordPreviousTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def history(self):
        with open(os.path.join(self.dir, "history.json")) as f:
            return json.load(f)

    def test_records_each_replaced_version_once_sharing_layouts(self):
        v1 = template({"decoder.onnx": "1", "fine.onnx": "1"}, RAW)
        v2 = template({"decoder.onnx": "2", "fine.onnx": "1"}, RAW)
        v3 = template({"decoder.onnx": "3", "fine.onnx": "3"}, [("g_ema.b", 0, 8, None), ("g_ema.a", 4096, 16, None)])
        self.assertFalse(record_previous(self.dir, None, v1))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "history.json")))
        # the same graphs again: nothing to record
        self.assertFalse(record_previous(self.dir, v1, template({"decoder.onnx": "1", "fine.onnx": "1"}, RAW)))
        self.assertTrue(record_previous(self.dir, v1, v2))
        self.assertTrue(record_previous(self.dir, v2, v3))
        self.assertFalse(record_previous(self.dir, v1, v3))
        h = self.history()
        self.assertEqual(h["format"], HISTORY_FORMAT)
        self.assertEqual([v["sha256"]["decoder.onnx"][0] for v in h["versions"]], ["1", "2"])
        # v1 and v2 share a layout; today's (v3) is template.json's, not history's
        self.assertEqual([v["layout"] for v in h["versions"]], [0, 0])
        self.assertEqual(h["layouts"], [{"generator.weights": {"size": 4104, "tensors": [["g_ema.a", 0, 16], ["g_ema.b", 4096, 8]]}}])

    def test_a_version_with_transformed_weights_has_no_layout(self):
        folded = template({"decoder.onnx": "1"}, [("g_ema.a", 0, 16, {"op": "upsamplePhase"}), ("g_ema.b", 4096, 8, None)])
        self.assertTrue(record_previous(self.dir, folded, template({"decoder.onnx": "2"}, RAW)))
        h = self.history()
        self.assertEqual(h["versions"][0]["layout"], None)
        self.assertEqual(h["layouts"], [])


if __name__ == "__main__":
    unittest.main()
