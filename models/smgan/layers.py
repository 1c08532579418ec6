"""Building blocks of StyleMapGAN with equalised learning rate.

Parameter names and shapes follow the released checkpoints (see ../README.md), so a
state dict saved by the authors' training code loads strictly. The forward passes are
written for speed on a CPU and for a clean ONNX graph. A 3x3 upsampling layer (a stride-2
transposed conv followed by a 4-tap blur) runs in torch as four small ordinary convolutions at
the low resolution, one per output pixel phase (2x2, 2x1, 1x2 and 1x1 taps of the 3x3 kernel),
a pixel shuffle and the blur as a depthwise convolution; exported to ONNX it is one
ConvTranspose and the depthwise blur (upsample_conv). 1x1 upsampling layers are a 1x1
convolution and the blur's phases (UpConv.forward_split); exported, a 1x1 convolution and a
bilinear resize with its edges scaled (upsample_blur_1x1). All of these are exact, not
approximations; tests compare them with the direct transposed-conv form.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

SQRT2 = math.sqrt(2.0)


def blur_kernel_2d(taps=(1, 3, 3, 1)) -> torch.Tensor:
    k = torch.tensor(taps, dtype=torch.float32)
    k2 = k[:, None] * k[None, :]
    return k2 / k2.sum()


def fused_lrelu(x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    if bias is not None:
        x = x + bias.view(1, -1, *([1] * (x.dim() - 2)))
    return F.leaky_relu(x, 0.2) * SQRT2


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int, bias_init: float = 0.0, lr_mul: float = 1.0):
        super().__init__()
        self.bias = nn.Parameter(torch.full((channels,), float(bias_init)))
        self.lr_mul = lr_mul

    def forward(self, x):
        return fused_lrelu(x, self.bias * self.lr_mul)


def conv_lrelu(x: torch.Tensor, conv: EqualConv2d, act: FusedLeakyReLU | None, gain: float = 1.0) -> torch.Tensor:
    """`gain * act(conv(x))` (`act` None: `gain * conv(x)`) with every factor in the weight and
    bias: the leaky ReLU is positively homogeneous, so its gain of sqrt(2) and `gain` (> 0)
    scale the convolution instead of the activation's output. Exported, a Conv and a LeakyRelu
    that onnxruntime fuses, with the factors folded into the weights when a session is created,
    where the plain form wrote every map once more for the multiplication (see ../README.md
    for what it saved)."""
    if not gain > 0:
        raise ValueError(f"conv_lrelu folds only a positive gain into the weights, not {gain}")
    g = gain * SQRT2 if act is not None else gain
    # the activation's bias and the convolution's own (no layer of the networks has one), scaled
    if act is None:
        bias = None if conv.bias is None else conv.bias * g
    elif conv.bias is None:
        bias = act.bias * (act.lr_mul * g)
    else:
        bias = (conv.bias + act.bias * act.lr_mul) * g
    x = F.conv2d(x, conv.weight * (conv.scale * g), bias, conv.stride, conv.padding)
    return x if act is None else F.leaky_relu(x, 0.2)


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + 1e-8)


class Blur(nn.Module):
    """A fixed low-pass filter kept as a buffer (it is saved in the state dict)."""

    def __init__(self, pad: tuple[int, int], upsample_factor: int = 1, channels: int | None = None):
        super().__init__()
        # a known channel count keeps the depthwise kernel's shape static for ONNX export
        self.channels = channels
        k = blur_kernel_2d()
        if upsample_factor > 1:
            k = k * (upsample_factor ** 2)
        self.register_buffer("kernel", k)
        self.pad = pad

    def forward(self, x):
        c = self.channels or x.shape[1]
        w = torch.flip(self.kernel, (0, 1)).view(1, 1, *self.kernel.shape).expand(c, 1, -1, -1)
        if self.pad[0] == self.pad[1]:
            # the convolution's own zero padding: the same sums, and exported no Pad node
            # (onnxruntime ran a 256 px encoder's ten Pads and their layout reorders in about
            # 30 ms of 600, as a separate copy of each map)
            return F.conv2d(x, w, padding=self.pad[0], groups=c)
        x = F.pad(x, (self.pad[0], self.pad[1], self.pad[0], self.pad[1]))
        return F.conv2d(x, w, groups=c)


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, lr_mul=1.0, activation=True, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x):
        out = F.linear(x, self.weight * self.scale)
        if self.activation:
            return fused_lrelu(out, self.bias * self.lr_mul)
        return out + self.bias * self.lr_mul


class EqualConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, stride=1, padding=0, bias=True, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.full((out_ch,), float(bias_init))) if bias else None
        self.scale = 1.0 / math.sqrt(in_ch * kernel * kernel)
        self.stride = stride
        self.padding = padding

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


#: Winograd F(4x4, 3x3) (Lavin and Gray, 2015): a 4x4 block of a 3x3 convolution's output from the
#: 6x6 input block under it as A^T [(G g G^T) * (B^T d B)] A, 36 multiplications per channel pair
#: where the direct form needs 144
WINOGRAD_BT = ((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
               (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1))
WINOGRAD_G = ((1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6),
              (1 / 24, 1 / 12, 1 / 6), (1 / 24, -1 / 12, 1 / 6), (0, 0, 1))
WINOGRAD_AT = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))
#: the feature path's same-size 3x3 convolutions with at least this many input channels, on maps
#: of at least WINOGRAD_MIN_SIZE pixels a side, are winograd_conv3x3 in exported graphs
#: (ModulatedConv2d.winograd; see winograd_conv3x3 for why only these)
WINOGRAD_MIN_CHANNELS = 512
WINOGRAD_MIN_SIZE = 64


def winograd_conv3x3(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, padding: int = 1) -> torch.Tensor:
    """`F.conv2d(x, weight, bias, padding=padding)` (padding 0 or 1) as Winograd F(4x4, 3x3), for ONNX export.

    onnxruntime's CPU convolution already runs near the machine's peak, so a large layer
    gets faster only with fewer multiplications: this form does the channel mixing as 36
    batched matrix products over 4x4 output blocks, 4 times fewer multiply-adds, and moves
    the blocks in and out with slices, small matrix products and one transpose. Measured
    with onnxruntime-node on 2 cores (median ms, direct -> this): 512 channels at 64 x 64
    85.7 -> 49.1, at 32 x 32 21.8 -> 12.8; 256 channels at 128 x 128 91.0 -> 79.5 and 128 at
    256 x 256 112 -> 130 (the block transforms there move more bytes than they save).
    The transformed weight holds 36 values per channel pair where the kernel has 9: at 512
    channels 28 MB more per layer in memory, which is why only the feature path's 64 px
    layer uses it (WINOGRAD_MIN_SIZE): the 256 px fine graph 42-60 ms faster and an edit
    8-53 ms (medians of paired runs in one process), for 28 MB. The 32 px layer
    would save about 10 ms more for another 28 MB, and the modulation's, resizer's and
    encoder's layers as well took a 256 px editing session from 1,171 to 2,135 MB. The
    weight transform G g G^T is graph arithmetic on the weight, folded once when a session
    is created. Any height and width: the map is padded to whole blocks and the output cut
    back. Rounding differs from the direct form by a few 1e-6 of the output's scale.
    """
    if weight.dim() != 4 or tuple(weight.shape[2:]) != (3, 3) or padding not in (0, 1):
        raise ValueError(f"winograd_conv3x3 takes a 3x3 kernel and padding 0 or 1, not {tuple(weight.shape)} with padding {padding}")
    dtype = x.dtype
    bt = torch.tensor(WINOGRAD_BT, dtype=dtype)
    g = torch.tensor(WINOGRAD_G, dtype=dtype)
    at = torch.tensor(WINOGRAD_AT, dtype=dtype)
    n, c, h, w = x.shape
    k = weight.shape[0]
    # u[j * 6 + i] = (G g G^T)[i, j] for every (out, in) pair: [36, 1, out, in]
    u = torch.matmul(torch.matmul(g, weight), g.t()).permute(3, 2, 0, 1).reshape(36, 1, k, c)
    oh, ow = h + 2 * padding - 2, w + 2 * padding - 2
    th = (oh + 3) // 4
    tw = (ow + 3) // 4
    # whole blocks: 4 * th + 2 rows and 4 * tw + 2 columns
    xp = F.pad(x, (padding, 4 * tw + 2 - w - padding, padding, 4 * th + 2 - h - padding))
    # B^T over the block rows, then over the block columns: v[j' * 6 + i'] is [n, in, blocks]
    rows = torch.stack([xp[:, :, i:i + 4 * th:4, :] for i in range(6)])
    rows = torch.matmul(bt, rows.reshape(6, -1)).reshape(6, n, c, th, 4 * tw + 2)
    cols = torch.stack([rows[..., j:j + 4 * tw:4] for j in range(6)])
    v = torch.matmul(bt, cols.reshape(6, -1)).reshape(36, n, c, th * tw)
    m = torch.matmul(u, v).reshape(6, 6, -1)
    # A^T over the rows, then the columns: y[b, a] is output pixel (a, b) of every block
    y = torch.matmul(at, m)
    y = torch.matmul(at, y.reshape(6, -1)).reshape(4, 4, n, k, th, tw)
    y = y.permute(2, 3, 4, 1, 5, 0).reshape(n, k, 4 * th, 4 * tw)[:, :, :oh, :ow]
    return y if bias is None else y + bias.view(1, -1, 1, 1)


def upsample_phase_weight(weight: torch.Tensor, blur: torch.Tensor, pad0: int) -> torch.Tensor:
    """Folds `blur(conv_transpose(x, weight, stride=2))` into a 3x3 conv with 4x outputs.

    `weight` is stored [out, in, k, k] (k = 1 or 3) and `blur` is the 4x4 upsampling
    kernel (gain 4) applied with leading pad `pad0`. Along one axis the combined impulse
    response is K[t] = sum_b blur[b] * weight[t + b - pad0] for t = -3..3, and output
    phase p (0 or 1) at low-resolution position m reads inputs m-1, m, m+1 through taps
    t = p+2, p, p-2. The result is ordered for `pixel_shuffle(., 2)`.
    """
    out_ch, in_ch, k, _ = weight.shape
    lead = 3 + pad0
    trail = 10 - k - lead
    w = weight.reshape(out_ch * in_ch, 1, k, k)
    w = F.pad(w, (lead, trail, lead, trail))
    # the blur is symmetric, so correlation equals convolution here
    full = F.conv2d(w, blur.view(1, 1, 4, 4)).view(out_ch, in_ch, 7, 7)
    taps = (torch.tensor([5, 3, 1], device=weight.device), torch.tensor([6, 4, 2], device=weight.device))
    phases = []
    for py in range(2):
        rows = full.index_select(2, taps[py])
        for px in range(2):
            phases.append(rows.index_select(3, taps[px]))
    return torch.stack(phases, dim=1).reshape(out_ch * 4, in_ch, 3, 3)


#: the most bytes of column values one exported transposed convolution of the feature path
#: computes at once (upsample_parts)
UPSAMPLE_COLUMN_BYTES = 20 * 2**20


def upsample_parts(out_ch: int, in_size: int) -> int:
    """Into how many runs of out_ch / parts output channels an exported feature-path upsampling
    layer splits its transposed convolution: the fewest (a power of two dividing out_ch) whose
    column buffers fit UPSAMPLE_COLUMN_BYTES.

    onnxruntime's CPU ConvTranspose multiplies the input by the whole weight into a buffer of
    out x 9 x input-pixels values, then sums that into the output. The buffer comes from the
    graph's memory arena, which keeps what it grew to: the 256 px fine graph's last upsampling
    layer (128 outputs from 128 x 128 pixels) asked for 72 MiB, and the arena held about 205 MB
    after a whole run. Split four ways (18 MiB each), the arena holds about 165 MB and the run
    takes as long (the channels are independent rows of the same product, so the sums are the
    same bit for bit).
    """
    parts = 1
    while out_ch % (parts * 2) == 0 and out_ch * 9 * in_size * in_size * 4 > parts * UPSAMPLE_COLUMN_BYTES:
        parts *= 2
    return parts


def upsample_conv(x, weight, blur, pad0, bias=None, parts=1):
    """`blur(conv_transpose(x, weight, stride=2))` for a 3x3 `weight` stored [out, in, 3, 3]
    and the 4x4 upsampling blur with pads (1, 1), without the transposed convolution.

    Along one axis the transposed conv's output y (2H+1 long) is y[2m] = w0 x[m] + w2 x[m-1]
    and y[2m+1] = w1 x[m]: the even phase is a 2-tap conv [w2, w0] with padding 1 (H+1 long),
    the odd one a 1-tap conv [w1] (H long; taken H+1 long with x[H] = 0). The four 2-D phases
    cost 4+2+2+1 = 9 multiplies per input pixel and channel pair, a quarter of
    upsample_phase_weight's single 3x3 conv with four outputs, which folds the blur into every
    phase. A pixel shuffle interleaves them into y with a zero last row and column, which the
    blur (a depthwise conv, taps per output pixel independent of the channel count) reads as
    its bottom and right padding.

    Exported to ONNX (torch.onnx.is_in_onnx_export()) the layer is the direct form instead: one
    ConvTranspose (2H+1 long), then the blur padded by one (2H). The same arithmetic, but
    eight nodes fewer per layer, and onnxruntime's DepthToSpace copies slowly: the bundled
    64 px fine graph went from 318 to 216 nodes (alone 4.2 -> 3.8 ms). With `parts` > 1 the
    transposed convolution runs as that many over slices of the output channels, concatenated
    (upsample_parts: less memory, the same values). torch 1.13's CPU
    conv_transpose2d is the slow one: forward and backward of a 64-channel layer on a batch
    of 16 took 8-9x as long as the phases (32 -> 64 px: 720 against 85 ms), so training keeps them.
    """
    k = weight.shape[-1]
    if k != 3 or pad0 != 1:
        raise ValueError("upsample_conv is for 3x3 upsampling layers with the blur's pads (1, 1)")
    out_ch = weight.shape[0]
    depthwise = blur.reshape(1, 1, 4, 4).expand(out_ch, 1, 4, 4)
    if torch.onnx.is_in_onnx_export():
        # the blur is symmetric, so correlation (conv2d) equals convolution here
        if parts > 1:
            y = torch.cat([F.conv_transpose2d(x, w.transpose(0, 1), stride=2) for w in weight.chunk(parts)], 1)
        else:
            y = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
        y = F.conv2d(y, depthwise, padding=1, groups=out_ch)
        return y if bias is None else y + bias.view(1, -1, 1, 1)
    even, odd = [2, 0], [1]
    rows_even, rows_odd = weight[:, :, even], weight[:, :, odd]
    # each phase conv runs with padding 1; the odd phases then drop their first row / column
    ee = F.conv2d(x, rows_even[:, :, :, even], padding=1)
    eo = F.conv2d(x, rows_even[:, :, :, odd], padding=1)[:, :, :, 1:]
    oe = F.conv2d(x, rows_odd[:, :, :, even], padding=1)[:, :, 1:, :]
    oo = F.conv2d(x, rows_odd[:, :, :, odd], padding=1)[:, :, 1:, 1:]
    n, c, h, w = ee.shape
    y = F.pixel_shuffle(torch.stack([ee, eo, oe, oo], 2).reshape(n, c * 4, h, w), 2)
    # the blur is symmetric, so correlation equals convolution; its output is one row and
    # column too long at the bottom right, where y's zero padding row sits
    y = F.conv2d(y, depthwise, padding=1, groups=out_ch)[:, :, :-1, :-1]
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1)
    return y


class EqualConvTranspose2d(nn.Module):
    """Stride-2 transposed conv; only the weight lives here, the blur follows it."""

    def __init__(self, in_ch, out_ch, kernel):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.scale = 1.0 / math.sqrt(in_ch * kernel * kernel)

    def forward(self, x):  # direct form, used by tests and as documentation
        return F.conv_transpose2d(x, (self.weight * self.scale).transpose(0, 1), stride=2)


def _up_pads(kernel: int) -> tuple[int, int]:
    p = (4 - 2) - (kernel - 1)
    return (p + 1) // 2 + 1, p // 2 + 1


def _down_pads(kernel: int) -> tuple[int, int]:
    p = (4 - 2) + (kernel - 1)
    return (p + 1) // 2, p // 2


class UpConv(nn.Sequential):
    """Stride-2 transposed conv + blur (+ optional fused leaky ReLU), fast forward."""

    def __init__(self, in_ch, out_ch, kernel, activate=True):
        pad = _up_pads(kernel)
        layers = [EqualConvTranspose2d(in_ch, out_ch, kernel), Blur(pad, upsample_factor=2)]
        if activate:
            layers.append(FusedLeakyReLU(out_ch))
        super().__init__(*layers)
        self.pad0 = pad[0]
        self.kernel = kernel
        self.out_ch = out_ch

    def forward(self, x):
        if self.kernel == 1:
            return self.forward_split(x)
        conv, blur = self[0], self[1]
        if len(self) > 2:
            # conv_lrelu's fold: the activation's gain in the weight and bias, no multiplication after
            act = self[2]
            y = upsample_conv(x, conv.weight * (conv.scale * SQRT2), blur.kernel, self.pad0, act.bias * (act.lr_mul * SQRT2))
            return F.leaky_relu(y, 0.2)
        return upsample_conv(x, conv.weight * conv.scale, blur.kernel, self.pad0)

    def forward_direct(self, x):
        for layer in self:
            x = layer(x)
        return x

    def forward_split(self, x, gain: float = 1.0):
        """A 1x1 upsampling layer as a 1x1 convolution at the low resolution, then the blur's
        four phases as a depthwise 3x3 convolution and a pixel shuffle. Equal to the direct
        form (a 1x1 transposed conv commutes with the per-channel blur) with 36x fewer
        multiplies than folding the blur into the weight (upsample_phase_weight), which spreads
        every 1x1 weight over four 3x3 kernels. `gain` multiplies the weight.

        Exported to ONNX the upsampling is a bilinear Resize instead (upsample_blur_1x1), which
        is the same arithmetic and skips the pixel shuffle's copy."""
        conv, blur = self[0], self[1]
        if self.kernel != 1:
            raise ValueError("forward_split is for 1x1 upsampling layers")
        x = F.conv2d(x, conv.weight * (conv.scale * gain))
        if torch.onnx.is_in_onnx_export():
            x = upsample_blur_1x1(x, blur.kernel, self.pad0)
        else:
            phases = upsample_phase_weight(torch.ones(1, 1, 1, 1, dtype=x.dtype), blur.kernel, self.pad0)
            x = F.pixel_shuffle(F.conv2d(x, phases.repeat(self.out_ch, 1, 1, 1), padding=1, groups=self.out_ch), 2)
        if len(self) > 2:
            x = self[2](x)
        return x


def upsample_blur_1x1(x: torch.Tensor, blur: torch.Tensor, pad0: int) -> torch.Tensor:
    """`blur(conv_transpose(x, 1, stride=2))` (a 1x1 layer's upsampling, `blur` the 4x4
    kernel of gain 4 with pads (2, 2)) as a bilinear 2x resize and one multiplication. The
    architecture's blur is always [1, 3, 3, 1] (the checkpoints' kernel buffers are that
    constant), so the graph does not read the buffer.

    Along one axis that upsampling gives y[2m] = x[m-1] / 4 + 3 x[m] / 4 and y[2m+1] =
    3 x[m] / 4 + x[m+1] / 4, x zero past the ends: a bilinear resize with half-pixel centres,
    except at the two ends, where the resize repeats the edge value (x[-1] = x[0]) and so
    gives x[0] where the zero padding gives 3 x[0] / 4. Multiplying the first and last row
    and column by 3/4 makes the two equal. onnxruntime's DepthToSpace, which the pixel
    shuffle exports to, copied a 256 px map's 33 MB in about 26 ms; Resize and the
    multiplication replace it and the depthwise convolution before it.
    """
    if pad0 != 2 or tuple(blur.shape) != (4, 4):
        raise ValueError("upsample_blur_1x1 is for a 1x1 layer's 4x4 upsampling blur, pads (2, 2)")
    y = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
    h, w = y.shape[2], y.shape[3]
    rows = F.pad(torch.ones(h - 2, dtype=y.dtype, device=y.device), (1, 1), value=0.75)
    cols = F.pad(torch.ones(w - 2, dtype=y.dtype, device=y.device), (1, 1), value=0.75)
    return y * (rows.view(1, 1, -1, 1) * cols.view(1, 1, 1, -1))


class DownConv(nn.Sequential):
    """Blur + stride-2 conv (+ optional fused leaky ReLU), as in a residual D block."""

    def __init__(self, in_ch, out_ch, kernel, activate=True):
        layers = [Blur(_down_pads(kernel), channels=in_ch), EqualConv2d(in_ch, out_ch, kernel, stride=2, bias=False)]
        if activate:
            layers.append(FusedLeakyReLU(out_ch))
        super().__init__(*layers)

    def forward(self, x, gain: float = 1.0):
        """`gain` times the layer's output (conv_lrelu)."""
        return conv_lrelu(self[0](x), self[1], self[2] if len(self) > 2 else None, gain)


class PlainConv(nn.Sequential):
    """Same-size conv + fused leaky ReLU: keys `.0.weight`, `.1.bias`."""

    def __init__(self, in_ch, out_ch, kernel):
        super().__init__(EqualConv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False), FusedLeakyReLU(out_ch))

    def forward(self, x, gain: float = 1.0):
        """`gain` times the layer's output (conv_lrelu)."""
        return conv_lrelu(x, self[0], self[1], gain)


def norm_dims(mode: str) -> tuple[int, ...]:
    """The dimensions a normalisation mode takes its statistics over."""
    if mode == "LayerNorm":
        return (1, 2, 3)
    if mode == "InstanceNorm2d":
        return (2, 3)
    raise ValueError(f"unsupported normalize_mode {mode!r}")


def moments(x: torch.Tensor, mode: str, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, 1 / std) of the per-sample normalisation, kept dimensions, written out so the
    ONNX graph is plain arithmetic. The variance is the mean of the centred squares: the mean
    square less the squared mean writes one full-size tensor fewer, but in onnxruntime it
    took a 256 px export's images from 3.8e-4 to 7.0e-4 relative of torch's (the converter's
    limit is 1e-3), for 6.8 ms a fine run (models/README.md)."""
    dims = norm_dims(mode)
    mean = x.mean(dim=dims, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    return mean, torch.rsqrt(var + eps)


def normalize(x: torch.Tensor, mode: str) -> torch.Tensor:
    mean, rstd = moments(x, mode)
    return (x - mean) * rstd


SUPPORTED_NORMALIZE_MODES = ("LayerNorm", "InstanceNorm2d")


class ModulatedConv2d(nn.Module):
    """Spatially modulated conv: normalise x, then x * gamma(style) + beta(style), then conv."""

    def __init__(self, in_ch, out_ch, kernel, style_ch, normalize_mode, upsample=False, fold_beta=False):
        super().__init__()
        if fold_beta and (kernel != 1 or upsample):
            raise ValueError("only a 1x1 convolution without upsampling can take beta through it")
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, kernel, kernel))
        self.scale = 1.0 / math.sqrt(in_ch * kernel * kernel)
        self.gamma = EqualConv2d(style_ch, in_ch, 3, padding=1, bias_init=1.0)
        self.beta = EqualConv2d(style_ch, in_ch, 3, padding=1, bias_init=0.0)
        self.normalize_mode = normalize_mode
        self.upsample = upsample
        self.kernel = kernel
        # exported as winograd_conv3x3 (a same-size 3x3 layer the decoder marks, see WINOGRAD_MIN_SIZE)
        self.winograd = False
        # the exported transposed convolution's runs (an upsampling layer the decoder marks, see upsample_parts)
        self.upsample_parts = 1
        # conv(x * gamma + beta) = conv(x * gamma) + conv(beta) for a 1x1 convolution: beta then
        # comes out of modulation() already through it (out_ch channels, not in_ch). The RGB
        # layer's 3 channels instead of 128 at 256 px: 33 MB less per kept crop, and the beta
        # convolution's arithmetic at the largest size about 40 times smaller
        self.fold_beta = fold_beta
        if upsample:
            self.blur = Blur(_up_pads(kernel), upsample_factor=2)
            self.pad0 = _up_pads(kernel)[0]

    def modulation(self, style, padding: int = 1):
        """(gamma, beta) of a style tensor: the two 3x3 convolutions, biases included.

        With padding 0 the convolutions are 'valid': a window of a style tensor with a
        one-cell border gives gamma and beta of the window's inside (the incremental edit
        path computes them on the cells an edit changed, see export.py's modulation graph).
        """
        gamma = F.conv2d(style, self.gamma.weight * self.gamma.scale, self.gamma.bias, padding=padding)
        beta_weight, beta_bias = self.beta.weight * self.beta.scale, self.beta.bias
        if self.fold_beta:
            # the 1x1 convolution [out, in] applied to beta's weights [in, style, 3, 3] and bias
            # (shapes from the parameters' own, so the ONNX export knows the kernel's)
            out_ch, in_ch, style_ch = self.weight.shape[1], self.weight.shape[2], self.beta.weight.shape[1]
            w = (self.weight[0] * self.scale).reshape(out_ch, in_ch)
            beta_weight = (w @ beta_weight.reshape(in_ch, style_ch * 9)).reshape(out_ch, style_ch, 3, 3)
            beta_bias = w @ beta_bias
        beta = F.conv2d(style, beta_weight, beta_bias, padding=padding)
        return gamma, beta

    def forward_modulated(self, x, gamma, beta, stats=None, record=None, eps=1e-5):
        """The layer given its modulation: normalise x, x * gamma + beta, then the convolution.

        `stats` (mean, 1 / std, frozen) replaces the normalisation's own statistics of x where
        `frozen` (a bool tensor) is true: the draft preview runs a window of the map with the
        statistics of an earlier whole run. `record`, a list, receives the statistics used.
        `eps` is the normalisation's: given x / k for an input x, eps / k^2 normalises the
        same as eps does x (UpBlock.forward_modulated).
        """
        if stats is None:
            mean, rstd = moments(x, self.normalize_mode, eps)
            x = x - mean
        else:
            # centred once, on the mean used: not frozen, that is x's own and the variance is
            # moments'; frozen, the variance is not used. Centred on each (one for the variance,
            # one for the output) the fine graph computed both: bit for bit the same image, and
            # a 256 px fine run 6-12 ms slower (medians of 16, alternated)
            given_mean, given_rstd, frozen = stats
            dims = norm_dims(self.normalize_mode)
            mean = torch.where(frozen, given_mean, x.mean(dim=dims, keepdim=True))
            x = x - mean
            rstd = torch.where(frozen, given_rstd, torch.rsqrt((x * x).mean(dim=dims, keepdim=True) + eps))
        if record is not None:
            record.append((mean, rstd))
        x = x * rstd
        w = self.weight[0] * self.scale
        if self.fold_beta:
            return F.conv2d(x * gamma, w) + beta
        x = x * gamma + beta
        if self.upsample:
            return upsample_conv(x, w, self.blur.kernel, self.pad0, parts=self.upsample_parts)
        if self.winograd and torch.onnx.is_in_onnx_export():
            return winograd_conv3x3(x, w)
        return F.conv2d(x, w, padding=self.kernel // 2)

    def forward(self, x, style):
        return self.forward_modulated(x, *self.modulation(style))

    def forward_direct(self, x, style):
        x = normalize(x, self.normalize_mode)
        x = x * self.gamma(style) + self.beta(style)
        w = self.weight[0] * self.scale
        x = F.conv_transpose2d(x, w.transpose(0, 1), stride=2)
        return self.blur(x)


class StyledConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, style_ch, normalize_mode, upsample=False, fold_beta=False):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, kernel, style_ch, normalize_mode, upsample, fold_beta)
        self.activate = FusedLeakyReLU(out_ch)

    def forward(self, x, style):
        return self.activate(self.conv(x, style))

    def forward_modulated(self, x, gamma, beta, stats=None, record=None, eps=1e-5, gain=True):
        """The layer given its modulation (ModulatedConv2d.forward_modulated), then the
        activation; without its gain of sqrt(2) when `gain` is false (the leaky ReLU is
        positively homogeneous, so a caller can fold the gain into what follows)."""
        x = self.conv.forward_modulated(x, gamma, beta, stats, record, eps)
        if gain:
            return self.activate(x)
        return F.leaky_relu(x + (self.activate.bias * self.activate.lr_mul).view(1, -1, 1, 1), 0.2)
