import io
import unittest
from unittest import mock

import onnx
import torch

from smgan.layers import (UPSAMPLE_COLUMN_BYTES, Blur, DownConv, EqualConv2d, FusedLeakyReLU, ModulatedConv2d, PlainConv, UpConv, conv_lrelu,
                          upsample_blur_1x1, upsample_parts, winograd_conv3x3)
from smgan.networks import Encoder, Generator, ModelConfig, ResDownBlock, UpBlock, count_parameters


def _exported(module, *args):
    """The ONNX graph `module` exports to for `args` (opset 16), and the op type of the node making each value."""
    buffer = io.BytesIO()
    torch.onnx.export(module, args, buffer, opset_version=16)
    graph = onnx.load_from_string(buffer.getvalue()).graph
    made_by = {out: node.op_type for node in graph.node for out in node.output}
    return graph, made_by


def _exported_ops(module, *args):
    """The op types of `module`'s exported graph, in order."""
    return [n.op_type for n in _exported(module, *args)[0].node]


class _Modulated(torch.nn.Module):
    """A ModulatedConv2d's forward_modulated(x, gamma, beta) as a module's forward, to export it."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x, gamma, beta):
        return self.conv.forward_modulated(x, gamma, beta)


class FoldedUpsampling(unittest.TestCase):
    def test_upconv_equals_transposed_conv_then_blur(self):
        torch.manual_seed(0)
        for kernel in (1, 3):
            up = UpConv(5, 7, kernel, activate=kernel == 3)
            x = torch.randn(2, 5, 6, 6)
            fast, direct = up(x), up.forward_direct(x)
            self.assertEqual(fast.shape, (2, 7, 12, 12))
            self.assertLess((fast - direct).abs().max().item(), 1e-5)

    def test_modulated_upsampling_equals_direct_form(self):
        torch.manual_seed(1)
        conv = ModulatedConv2d(6, 4, 3, style_ch=3, normalize_mode="LayerNorm", upsample=True)
        x, style = torch.randn(3, 6, 8, 8), torch.randn(3, 3, 8, 8)
        self.assertLess((conv(x, style) - conv.forward_direct(x, style)).abs().max().item(), 1e-5)

    def test_exported_form_is_one_transposed_conv_and_equals_the_direct_form(self):
        torch.manual_seed(2)
        up = UpConv(5, 7, 3)
        conv = ModulatedConv2d(6, 4, 3, style_ch=3, normalize_mode="LayerNorm", upsample=True)
        x, xs, style = torch.randn(2, 5, 6, 7), torch.randn(3, 6, 8, 5), torch.randn(3, 3, 8, 5)
        with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
            self.assertLess((up(x) - up.forward_direct(x)).abs().max().item(), 1e-5)
            self.assertLess((conv(xs, style) - conv.forward_direct(xs, style)).abs().max().item(), 1e-5)
        ops = _exported_ops(up, x)
        self.assertEqual(ops.count("ConvTranspose"), 1)
        self.assertNotIn("DepthToSpace", ops)

    def test_exported_skip_upsampling_is_a_resize_and_equals_the_direct_form(self):
        torch.manual_seed(3)
        up = UpConv(5, 7, 1, activate=False)
        for shape in ((2, 5, 6, 6), (1, 5, 1, 4), (3, 5, 5, 2)):
            x = torch.randn(*shape)
            direct = up.forward_direct(x)
            with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
                exported = up.forward_split(x)
                halved = up.forward_split(x, gain=0.5)
            self.assertEqual(exported.shape, direct.shape)
            self.assertLess((exported - direct).abs().max().item(), 1e-5, shape)
            self.assertLess((halved - 0.5 * direct).abs().max().item(), 1e-5, shape)

        class Skip(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.up = up

            def forward(self, x):
                return self.up.forward_split(x)

        ops = _exported_ops(Skip(), torch.randn(1, 5, 6, 6))
        self.assertEqual(ops.count("Resize"), 1)
        self.assertNotIn("DepthToSpace", ops)

    def test_resize_form_refuses_other_blurs(self):
        with self.assertRaises(ValueError):
            upsample_blur_1x1(torch.randn(1, 2, 3, 3), torch.ones(4, 4), 1)
        with self.assertRaises(ValueError):
            upsample_blur_1x1(torch.randn(1, 2, 3, 3), torch.ones(3, 3), 2)


class FoldedGains(unittest.TestCase):
    def test_blocks_without_the_activation_gains_compute_what_the_plain_blocks_do(self):
        torch.manual_seed(5)
        g = Generator(ModelConfig(size=64, channel_multiplier=1, channel_cap=32)).eval()
        d = g.decoder
        with torch.no_grad():
            styles = d.convs_latent(torch.randn(2, 64, 8, 8))
            plain = d.synthesize(styles)
            folded = d.features(d.modulations(styles))
            with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
                exported = d.features(d.modulations(styles))
        scale = plain.abs().max().item()
        self.assertLess((folded - plain).abs().max().item(), 1e-5 * scale)
        self.assertLess((exported - plain).abs().max().item(), 1e-5 * scale)

    def test_the_second_layer_normalises_the_unscaled_map_as_the_plain_one_does_the_scaled(self):
        # conv1's output so flat that the normalisation's eps is most of its variance
        torch.manual_seed(6)
        block = UpBlock(6, 5, 3, 3, "LayerNorm").eval()
        with torch.no_grad():
            block.conv1.conv.weight.mul_(1e-3)
            x, s_in, s_out = torch.randn(2, 6, 4, 4), torch.randn(2, 3, 4, 4), torch.randn(2, 3, 8, 8)
            plain = block(x, s_in, s_out)
            folded = block.forward_modulated(x, block.conv1.conv.modulation(s_in), block.conv2.conv.modulation(s_out))
        self.assertLess((folded - plain).abs().max().item(), 1e-5 * plain.abs().max().item())


class ResizerAndEncoderGains(unittest.TestCase):
    """The resizer's and encoder's activation gains (and a residual block's 1 / sqrt(2)) go
    into the convolutions' weights and biases, and a blur pads through its convolution."""

    @staticmethod
    def _randomise(module):
        # biases are zero when made; every tensor gets values so a dropped term shows
        with torch.no_grad():
            for t in module.parameters():
                t.normal_()
        return module

    def test_each_layer_computes_the_plain_form(self):
        # the plain form: the layer's modules one after the other (nn.Sequential's forward), the
        # activation's sqrt(2) a multiplication after it
        torch.manual_seed(7)
        x = torch.randn(2, 5, 12, 10)
        for layer in (PlainConv(5, 6, 3), PlainConv(5, 6, 1), DownConv(5, 6, 3), DownConv(5, 6, 1, activate=False)):
            self._randomise(layer)
            with torch.no_grad():
                plain = torch.nn.Sequential.forward(layer, x)
                for gain in (1.0, 0.5 ** 0.5):
                    self.assertLess((layer(x, gain=gain) - gain * plain).abs().max().item(), 1e-5 * plain.abs().max().item())
        # a 3x3 upsampling layer's gain goes into upsample_conv's weight and bias, in torch and exported
        up = self._randomise(UpConv(5, 6, 3))
        with torch.no_grad():
            plain = up.forward_direct(x)
            self.assertLess((up(x) - plain).abs().max().item(), 1e-5 * plain.abs().max().item())
            with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
                self.assertLess((up(x) - plain).abs().max().item(), 1e-5 * plain.abs().max().item())

    def test_a_convolution_with_a_bias_of_its_own_and_a_gain_that_is_not_positive(self):
        # no layer of the networks has both biases, but conv_lrelu gives the plain form for one
        torch.manual_seed(11)
        conv, act = self._randomise(EqualConv2d(5, 6, 3, padding=1, bias=True)), self._randomise(FusedLeakyReLU(6))
        x = torch.randn(2, 5, 7, 7)
        with torch.no_grad():
            for a in (act, None):
                plain = conv(x) if a is None else a(conv(x))
                self.assertLess((conv_lrelu(x, conv, a, 0.5) - 0.5 * plain).abs().max().item(), 1e-5 * plain.abs().max().item())
        # a leaky ReLU commutes with positive factors only
        for gain in (0.0, -1.0):
            with self.assertRaisesRegex(ValueError, "positive"):
                conv_lrelu(x, conv, act, gain)

    def test_a_blur_with_even_pads_pads_through_its_convolution_and_an_uneven_one_still_pads(self):
        torch.manual_seed(8)
        x = torch.randn(1, 3, 7, 9)
        for pad in ((2, 2), (1, 1), (2, 1)):
            blur = Blur(pad, channels=3)
            k = torch.flip(blur.kernel, (0, 1)).view(1, 1, 4, 4).expand(3, 1, 4, 4)
            plain = torch.nn.functional.conv2d(torch.nn.functional.pad(x, pad * 2), k, groups=3)
            self.assertTrue(torch.equal(blur(x), plain), pad)
            self.assertEqual(_exported_ops(blur, x).count("Pad"), 0 if pad[0] == pad[1] else 1, pad)

    def test_a_residual_down_block_computes_the_plain_form(self):
        torch.manual_seed(9)
        block = self._randomise(ResDownBlock(4, 6))
        x = torch.randn(2, 4, 8, 8)
        with torch.no_grad():
            seq = torch.nn.Sequential.forward
            plain = (seq(block.conv2, seq(block.conv1, x)) + seq(block.skip, x)) / 2 ** 0.5
            self.assertLess((block(x) - plain).abs().max().item(), 1e-5 * plain.abs().max().item())

    def test_the_exported_resizer_and_encoder_scale_no_map_after_an_activation_and_pad_none(self):
        torch.manual_seed(10)
        cfg = ModelConfig(size=32, channel_multiplier=1, channel_cap=16)
        g, e = Generator(cfg).eval(), Encoder(cfg).eval()
        for module, x in ((g.decoder.convs_latent, torch.randn(1, 64, 8, 8)), (e, torch.randn(1, 3, 32, 32))):
            graph, made_by = _exported(module, x)
            ops = [n.op_type for n in graph.node]
            self.assertGreater(ops.count("LeakyRelu"), 2)
            self.assertNotIn("Pad", ops)
            after = [n for n in graph.node if n.op_type == "Mul" and any(made_by.get(i) == "LeakyRelu" for i in n.input)]
            self.assertEqual(after, [])


class UpsamplingInParts(unittest.TestCase):
    def test_parts_are_the_fewest_whose_column_buffers_fit(self):
        column = lambda out_ch, size: out_ch * 9 * size * size * 4  # noqa: E731
        # the released 256 px layers: 128 outputs from 128 px (72 MiB), 256 from 64 px (36 MiB), 512 from 32 px (18 MiB)
        self.assertEqual(upsample_parts(128, 128), 4)
        self.assertEqual(upsample_parts(256, 64), 2)
        self.assertEqual(upsample_parts(512, 32), 1)
        for out_ch, size in ((128, 128), (256, 64), (32, 512), (64, 40)):
            parts = upsample_parts(out_ch, size)
            self.assertEqual(out_ch % parts, 0)
            self.assertLessEqual(column(out_ch, size) / parts, UPSAMPLE_COLUMN_BYTES)
            self.assertGreater(column(out_ch, size) / (parts // 2 or 1), UPSAMPLE_COLUMN_BYTES if parts > 1 else 0)
        # channels that do not halve are not split past them
        self.assertEqual(upsample_parts(3, 1024), 1)
        self.assertEqual(upsample_parts(6, 1024), 2)

    def test_the_decoder_marks_its_upsampling_layers(self):
        decoder = Generator(ModelConfig(size=256, channel_multiplier=2)).decoder
        marks = [block.conv1.conv.upsample_parts for block in decoder.convs]
        self.assertEqual(marks, [1, 1, 1, 2, 4])
        self.assertTrue(all(block.conv2.conv.upsample_parts == 1 for block in decoder.convs))

    def test_exported_layer_runs_its_parts_with_the_same_values(self):
        torch.manual_seed(6)
        layer = ModulatedConv2d(6, 8, 3, 4, "LayerNorm", upsample=True)
        x, gamma, beta = torch.randn(1, 6, 5, 5), torch.rand(1, 6, 5, 5) + 0.5, torch.randn(1, 6, 5, 5)
        phases = layer.forward_modulated(x, gamma, beta)
        with torch.no_grad(), mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
            whole = layer.forward_modulated(x, gamma, beta)
            layer.upsample_parts = 4
            parts = layer.forward_modulated(x, gamma, beta)
        self.assertEqual(parts.shape, phases.shape)
        self.assertLess((parts - whole).abs().max().item(), 1e-6 * whole.abs().max().item())
        self.assertLess((parts - phases).abs().max().item(), 1e-5 * phases.abs().max().item())
        with torch.no_grad():
            self.assertEqual(_exported_ops(_Modulated(layer), x, gamma, beta).count("ConvTranspose"), 4)
            layer.upsample_parts = 1
            self.assertEqual(_exported_ops(_Modulated(layer), x, gamma, beta).count("ConvTranspose"), 1)


class WinogradConvolution(unittest.TestCase):
    def test_equals_the_direct_convolution_at_any_size_with_and_without_padding(self):
        torch.manual_seed(4)
        weight, bias = torch.randn(7, 5, 3, 3), torch.randn(7)
        for h, w in ((3, 3), (4, 4), (5, 9), (13, 6), (16, 17)):
            x = torch.randn(2, 5, h, w)
            for padding in (0, 1):
                fast = winograd_conv3x3(x, weight, bias, padding)
                direct = torch.nn.functional.conv2d(x, weight, bias, padding=padding)
                self.assertEqual(fast.shape, direct.shape)
                self.assertLess((fast - direct).abs().max().item(), 1e-4 * direct.abs().max().item())

    def test_refuses_other_kernels_and_paddings(self):
        x = torch.randn(1, 2, 8, 8)
        for weight, padding in ((torch.randn(3, 2, 1, 1), 1), (torch.randn(3, 2, 3, 3), 2)):
            with self.assertRaisesRegex(ValueError, "3x3 kernel and padding 0 or 1"):
                winograd_conv3x3(x, weight, None, padding)

    def test_the_decoder_marks_its_wide_same_size_layers_of_64_px_and_more(self):
        modulated = Generator(ModelConfig(size=256, channel_multiplier=2)).decoder.modulated_layers()
        # 512 channels: 8 to 64 px; the same-size layers at 8, 16, 32 and 64 px are 0, 2, 4 and 6
        self.assertEqual([i for i, layer in enumerate(modulated) if layer.conv.winograd], [6])
        bundled = Generator(ModelConfig(size=64, channel_multiplier=2, small_generator=True, channel_cap=64))
        self.assertFalse(any(layer.conv.winograd for layer in bundled.decoder.modulated_layers()))

    def test_a_marked_layer_exports_without_a_convolution_and_computes_the_same(self):
        torch.manual_seed(5)
        conv = ModulatedConv2d(6, 4, 3, style_ch=3, normalize_mode="LayerNorm")
        x, gamma, beta = torch.randn(1, 6, 9, 7), torch.randn(1, 6, 9, 7), torch.randn(1, 6, 9, 7)
        direct = conv.forward_modulated(x, gamma, beta)
        conv.winograd = True
        self.assertTrue(torch.equal(conv.forward_modulated(x, gamma, beta), direct))
        with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
            self.assertLess((conv.forward_modulated(x, gamma, beta) - direct).abs().max().item(), 1e-4 * direct.abs().max().item())

        ops = _exported_ops(_Modulated(conv), x, gamma, beta)
        self.assertNotIn("Conv", ops)
        self.assertIn("MatMul", ops)


class FoldedBeta(unittest.TestCase):
    def test_rgb_layer_gives_beta_through_its_convolution_and_equals_the_plain_form(self):
        torch.manual_seed(3)
        folded = ModulatedConv2d(6, 3, 1, style_ch=4, normalize_mode="LayerNorm", fold_beta=True)
        plain = ModulatedConv2d(6, 3, 1, style_ch=4, normalize_mode="LayerNorm")
        plain.load_state_dict(folded.state_dict())
        with torch.no_grad():
            folded.beta.bias.normal_()
            plain.beta.bias.copy_(folded.beta.bias)
        x, style = torch.randn(2, 6, 9, 7), torch.randn(2, 4, 9, 7)
        gamma, beta = folded.modulation(style)
        self.assertEqual(tuple(beta.shape), (2, 3, 9, 7))
        self.assertEqual(tuple(plain.modulation(style)[1].shape), (2, 6, 9, 7))
        self.assertLess((folded(x, style) - plain(x, style)).abs().max().item(), 1e-5)
        # 'valid' windows as the modulation graph takes them: the inside of the whole
        inner = folded.modulation(style[:, :, 2:7, 1:6], padding=0)[1]
        self.assertLess((inner - beta[:, :, 3:6, 2:5]).abs().max().item(), 1e-5)
        with self.assertRaises(ValueError):
            ModulatedConv2d(6, 3, 3, style_ch=4, normalize_mode="LayerNorm", fold_beta=True)


class ReleasedLayout(unittest.TestCase):
    def test_keys_and_sizes_of_the_released_256_architecture(self):
        cfg = ModelConfig(size=256, channel_multiplier=2)
        g, e = Generator(cfg), Encoder(cfg)
        gk, ek = g.state_dict(), e.state_dict()
        for key in ("mapping_z.1.weight", "mapping_z.8.bias", "decoder.input.input",
                    "decoder.conv1.conv.gamma.bias", "decoder.conv1.activate.bias",
                    "decoder.convs.0.conv1.conv.blur.kernel", "decoder.convs.4.skip.1.kernel",
                    "decoder.convs_latent.0.1.bias", "decoder.convs_latent.2.1.kernel",
                    "decoder.convs_latent.11.0.weight", "decoder.to_rgb.activate.bias"):
            self.assertIn(key, gk)
        self.assertEqual(tuple(gk["mapping_z.8.weight"].shape), (64 * 8 * 8, 64))
        self.assertEqual(tuple(gk["decoder.convs.0.conv1.conv.weight"].shape), (1, 512, 512, 3, 3))
        self.assertEqual(tuple(gk["decoder.to_rgb.activate.bias"].shape), (3,))
        for key in ("from_rgb.0.weight", "convs.0.conv2.0.kernel", "convs.4.skip.1.weight", "final_conv.1.bias"):
            self.assertIn(key, ek)
        # the docs give about 80 M and 18 M parameters
        self.assertAlmostEqual(count_parameters(g) / 1e6, 80, delta=2)
        self.assertAlmostEqual(count_parameters(e) / 1e6, 18, delta=1)
        w = torch.randn(1, 64, 8, 8)
        styles = g.decoder.convs_latent(w)
        self.assertEqual([t.shape[-1] for t in styles], [8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256])

    def test_small_generator_styles_have_latent_channels(self):
        g = Generator(ModelConfig(size=64, small_generator=True))
        styles = g.decoder.convs_latent(torch.randn(2, 64, 8, 8))
        self.assertTrue(all(t.shape[1] == 64 for t in styles))
        self.assertEqual(g(torch.randn(2, 64, 8, 8)).shape, (2, 3, 64, 64))


if __name__ == "__main__":
    unittest.main()


class DraftSplit(unittest.TestCase):
    """The draft preview's coarse and fine parts against the feature path (export.py's graphs)."""

    def setUp(self):
        torch.manual_seed(2)
        self.g = Generator(ModelConfig(size=128, channel_multiplier=1, channel_cap=64)).eval()
        d = self.g.decoder
        with torch.no_grad():
            self.mods = d.modulations(d.convs_latent(torch.randn(1, 64, 8, 8)))
            self.image = d.features(self.mods)
            self.x = d.coarse(self.mods[:d.fine_layer()])
            self.fine_mods = self.mods[d.fine_layer():]
            self.whole, self.stats = d.fine(self.x, self.fine_mods, torch.full((1, len(self.fine_mods), 2), 7.0), torch.tensor(False))

    def test_fine_of_coarse_not_frozen_is_the_feature_path(self):
        self.assertEqual(self.stats.shape, (1, len(self.fine_mods), 2))
        self.assertLess((self.whole - self.image).abs().max().item(), 1e-5)
        # frozen with the statistics it returned, the same again
        frozen, used = self.g.decoder.fine(self.x, self.fine_mods, self.stats, torch.tensor(True))
        self.assertLess((frozen - self.image).abs().max().item(), 1e-5)
        self.assertTrue(torch.equal(used, self.stats))

    def test_the_exported_fine_part_centres_each_layer_input_once(self):
        from smgan.export import _Fine

        fine_mods = [t for pair in self.fine_mods for t in pair]
        graph, made_by = _exported(_Fine(self.g), self.x, *fine_mods, self.stats, torch.tensor([0.0]))
        # each layer's input: what its statistics' first ReduceMean reads
        inputs = {n.input[0] for n in graph.node if n.op_type == "ReduceMean" and made_by.get(n.input[0]) != "Mul"}
        self.assertEqual(len(inputs), len(self.fine_mods))
        for x in inputs:
            # one centred map, on the mean used (frozen or own), for the variance and the output alike
            self.assertEqual(len([n for n in graph.node if n.op_type == "Sub" and n.input[0] == x]), 1, x)

    def test_a_window_grown_by_the_margin_gives_its_inside_exactly(self):
        from smgan.export import preview_meta

        d = self.g.decoder
        meta = preview_meta(self.g)
        grid, margin, k = self.x.shape[2], meta["margin"], 128 // self.x.shape[2]
        self.assertEqual(meta["grid"], grid)
        y0, y1, x0, x1 = 5, 8, 6, 10  # the inside, in cells of x
        cells = [g.shape[2] // grid for g, _ in self.fine_mods]

        def inside(m):
            wy0, wy1, wx0, wx1 = y0 - m, min(grid, y1 + m), x0 - m, min(grid, x1 + m)
            windows = [(g[:, :, wy0 * c:wy1 * c, wx0 * c:wx1 * c], b[:, :, wy0 * c:wy1 * c, wx0 * c:wx1 * c]) for (g, b), c in zip(self.fine_mods, cells)]
            out, _ = d.fine(self.x[:, :, wy0:wy1, wx0:wx1], windows, self.stats, torch.tensor(True))
            return out[:, :, (y0 - wy0) * k:(y1 - wy0) * k, (x0 - wx0) * k:(x1 - wx0) * k]

        whole = self.image[:, :, y0 * k:y1 * k, x0 * k:x1 * k]
        with torch.no_grad():
            self.assertLess((inside(margin) - whole).abs().max().item(), 1e-5)
            # one cell less of margin is not enough: the window's zero padding reaches the inside
            self.assertGreater((inside(margin - 1) - whole).abs().max().item(), 1e-3)
            # the exported forms (skips by Resize) give it exactly too
            with mock.patch("torch.onnx.is_in_onnx_export", return_value=True):
                self.assertLess((inside(margin) - whole).abs().max().item(), 1e-5)
