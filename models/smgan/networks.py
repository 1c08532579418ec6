"""StyleMapGAN generator, encoder and discriminator, configured like the released train_args."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from .layers import (
    SUPPORTED_NORMALIZE_MODES,
    DownConv,
    EqualConv2d,
    EqualLinear,
    FusedLeakyReLU,
    PixelNorm,
    PlainConv,
    StyledConv,
    UpConv,
    WINOGRAD_MIN_CHANNELS,
    WINOGRAD_MIN_SIZE,
    upsample_parts,
)


MAX_SIZE = 1024
MAX_LATENT_SIZE = 64
MAX_CHANNELS = 1024


@dataclass
class ModelConfig:
    size: int = 256
    mapping_layer_num: int = 8
    latent_channel_size: int = 64
    latent_spatial_size: int = 8
    lr_mul: float = 0.01
    channel_multiplier: int = 2
    normalize_mode: str = "LayerNorm"
    small_generator: bool = False
    # Not a released field: caps every channel count, for small CPU-trained models.
    channel_cap: int | None = None

    @classmethod
    def from_train_args(cls, args) -> "ModelConfig":
        values = vars(args) if not isinstance(args, dict) else args
        known = {f.name for f in fields(cls)}
        missing = [name for name in known - {"channel_cap"} if name not in values]
        if missing:
            raise KeyError(f"train_args lacks {', '.join(sorted(missing))}")
        return cls(**{k: values[k] for k in known if k in values})

    def validate(self) -> None:
        if self.normalize_mode not in SUPPORTED_NORMALIZE_MODES:
            raise ValueError(f"unsupported normalize_mode {self.normalize_mode!r}")
        for name in ("size", "latent_spatial_size"):
            value = getattr(self, name)
            if value < 4 or value & (value - 1):
                raise ValueError(f"{name} must be a power of two >= 4, got {value}")
        if self.latent_spatial_size > self.size:
            raise ValueError("latent_spatial_size is larger than size")
        # the app's limits for a model folder (modelLimits in src-main/engine/manifest.ts)
        for name, limit in (("size", MAX_SIZE), ("latent_spatial_size", MAX_LATENT_SIZE)):
            if getattr(self, name) > limit:
                raise ValueError(f"{name} is at most {limit} (the app's limit for a model), got {getattr(self, name)}")
        # model.json's stylemap and style tensors: C, or channels[r] for every r from S to size
        style_channels = [self.latent_channel_size]
        if not self.small_generator:
            style_channels += [self.channels()[r] for r in (self.latent_spatial_size, *self.resolutions())]
        if max(style_channels) > MAX_CHANNELS:
            raise ValueError(f"stylemap and style channels are at most {MAX_CHANNELS} (the app's limit for a model), "
                             f"got {max(style_channels)} (latent_channel_size {self.latent_channel_size}, "
                             f"channel_multiplier {self.channel_multiplier})")

    def channels(self) -> dict[int, int]:
        cm = self.channel_multiplier
        table = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm,
                 256: 64 * cm, 512: 32 * cm, 1024: 16 * cm}
        if self.channel_cap:
            table = {r: min(c, self.channel_cap) for r, c in table.items()}
        return table

    def resolutions(self) -> list[int]:
        """Resolutions of the up/down blocks, from twice the stylemap size to the image size."""
        out, r = [], self.latent_spatial_size * 2
        while r <= self.size:
            out.append(r)
            r *= 2
        return out

    def to_dict(self) -> dict:
        return asdict(self)


class StylemapResizer(nn.Sequential):
    """Turns a stylemap into one style tensor per modulated layer (`decoder.convs_latent`)."""

    def __init__(self, cfg: ModelConfig):
        ch = cfg.channels()
        s, c = cfg.latent_spatial_size, cfg.latent_channel_size
        style_ch = (lambda r: c) if cfg.small_generator else (lambda r: ch[r])
        layers: list[nn.Module] = [PlainConv(c, style_ch(s), 3), PlainConv(style_ch(s), style_ch(s), 3)]
        prev = style_ch(s)
        for r in cfg.resolutions():
            layers.append(UpConv(prev, style_ch(r), 3))
            layers.append(PlainConv(style_ch(r), style_ch(r), 3))
            prev = style_ch(r)
        super().__init__(*layers)
        self.style_channels = [style_ch(s)] * 2 + [style_ch(r) for r in cfg.resolutions() for _ in range(2)]
        self.style_sizes = [s, s] + [r for r in cfg.resolutions() for _ in range(2)]

    def forward(self, stylemap):
        styles, x = [], stylemap
        for layer in self:
            x = layer(x)
            styles.append(x)
        return styles


class ConstantInput(nn.Module):
    def __init__(self, channels, size):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch):
        return self.input.expand(batch, -1, -1, -1)


class UpBlock(nn.Module):
    def __init__(self, in_ch, out_ch, style_in, style_out, normalize_mode):
        super().__init__()
        self.conv1 = StyledConv(in_ch, out_ch, 3, style_in, normalize_mode, upsample=True)
        self.conv2 = StyledConv(out_ch, out_ch, 3, style_out, normalize_mode)
        self.skip = UpConv(in_ch, out_ch, 1, activate=False)

    def forward(self, x, style_in, style_out):
        out = self.conv2(self.conv1(x, style_in), style_out)
        return (out + self.skip.forward_split(x)) * (1 / math.sqrt(2))

    def forward_modulated(self, x, mod_in, mod_out, stats=(None, None), record=None):
        """forward() given each layer's modulation, with the activations' gains of sqrt(2)
        folded away, exactly: conv1's output is normalised by conv2, which gives a / sqrt(2)
        with eps / 2 what it gives a with eps; conv2's gain cancels the block's 1 / sqrt(2),
        which then falls on the skip alone, inside its 1x1 weight. Three full-size
        multiplications fewer per block (conv2 records its statistics of the unscaled map)."""
        out = self.conv1.forward_modulated(x, *mod_in, stats[0], record, gain=False)
        out = self.conv2.forward_modulated(out, *mod_out, stats[1], record, eps=0.5e-5, gain=False)
        return out + self.skip.forward_split(x, gain=1 / math.sqrt(2))


class Decoder(nn.Module):
    """The resizer (`convs_latent`) and the synthesis network, under the released names."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        ch = cfg.channels()
        s = cfg.latent_spatial_size
        self.convs_latent = StylemapResizer(cfg)
        style_ch = self.convs_latent.style_channels
        self.input = ConstantInput(ch[s], s)
        self.conv1 = StyledConv(ch[s], ch[s], 3, style_ch[0], cfg.normalize_mode)
        blocks, prev = [], ch[s]
        for i, r in enumerate(cfg.resolutions()):
            blocks.append(UpBlock(prev, ch[r], style_ch[1 + 2 * i], style_ch[2 + 2 * i], cfg.normalize_mode))
            prev = ch[r]
        self.convs = nn.ModuleList(blocks)
        self.to_rgb = StyledConv(prev, 3, 1, style_ch[-1], cfg.normalize_mode, fold_beta=True)
        # the wide same-size convolutions on large maps run as Winograd in exported graphs
        # and the upsampling ones' transposed convolutions in parts small enough for the arena
        for block, r in zip(blocks, cfg.resolutions()):
            block.conv2.conv.winograd = r >= WINOGRAD_MIN_SIZE and ch[r] >= WINOGRAD_MIN_CHANNELS
            block.conv1.conv.upsample_parts = upsample_parts(ch[r], r // 2)

    def modulated_layers(self) -> list[StyledConv]:
        """The layers that take a style tensor, in style order: style_i modulates layer i."""
        out = [self.conv1]
        for block in self.convs:
            out += [block.conv1, block.conv2]
        return out + [self.to_rgb]

    def modulations(self, styles: list[torch.Tensor], padding: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(gamma, beta) of every modulated layer: about 60% of the decoder's arithmetic at
        256 px, and local: a change in a style cell changes gamma and beta in its 3x3 cells."""
        return [layer.conv.modulation(style, padding) for layer, style in zip(self.modulated_layers(), styles)]

    def features(self, mods: list[tuple[torch.Tensor, torch.Tensor]], record: list | None = None) -> torch.Tensor:
        """The feature path given every layer's (gamma, beta): synthesize without the
        modulation convolutions. It normalises over whole feature maps, so it runs whole;
        `record`, a list, receives every layer's normalisation statistics (mean, 1 / std)."""
        x = self.coarse(mods[:self.fine_layer()], record)
        return self._fine(x, mods[self.fine_layer():], None, None, record)

    #: up-blocks of the fine part (the last ones, where nearly all of the feature path's arithmetic is)
    FINE_BLOCKS = 3

    def fine_block(self) -> int:
        """Index of the first up-block of the fine part."""
        return max(0, len(self.convs) - self.FINE_BLOCKS)

    def fine_layer(self) -> int:
        """Index of the first modulated layer of the fine part (layer i takes style i)."""
        return 1 + 2 * self.fine_block()

    def coarse(self, mods: list[tuple[torch.Tensor, torch.Tensor]], record: list | None = None) -> torch.Tensor:
        """The feature path's coarse part (whole maps, its own statistics): the modulation of the
        layers before fine_layer() -> the feature map the fine part starts from."""
        x = self.conv1.forward_modulated(self.input(mods[0][0].shape[0]), *mods[0], None, record)
        for i, block in enumerate(self.convs[:self.fine_block()]):
            x = block.forward_modulated(x, mods[1 + 2 * i], mods[2 + 2 * i], record=record)
        return x

    def fine(self, x: torch.Tensor, mods: list[tuple[torch.Tensor, torch.Tensor]], stats: torch.Tensor,
             frozen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The fine part: x (coarse()'s map, or a window of it), the fine layers' gamma and beta
        on the same window at their sizes, `stats` [N, fine layers, 2] and `frozen` (a bool
        tensor) -> (image, the statistics used, [N, fine layers, 2]).

        Not frozen, every layer normalises with its own statistics: on whole maps this is the
        rest of features(), and the statistics it returns are what a draft freezes. Frozen, it
        normalises with `stats` and is local: convolutions padded with zeros, so a window grown
        by a margin gives the inside exactly as a whole run with those statistics would."""
        record: list = []
        image = self._fine(x, mods, stats, frozen, record)
        # every layer's mean and 1 / std ([N, 1, 1, 1] each) in order: one Concat and one Reshape
        return image, torch.cat([t for pair in record for t in pair], 1).reshape(-1, len(record), 2)

    def _fine(self, x, mods, stats, frozen, record):
        # [N, layers, 2] as 2 x layers tensors of [N, 1, 1, 1] (layer 0's mean and 1 / std, then
        # layer 1's, ...): one Reshape and one Split in the graph, where slicing each pair out
        # took about five small nodes
        given = None if stats is None else stats.reshape(-1, 2 * len(mods), 1, 1).split(1, dim=1)

        def at(i):
            return None if given is None else (given[2 * i], given[2 * i + 1], frozen)

        for j, block in enumerate(self.convs[self.fine_block():]):
            x = block.forward_modulated(x, mods[2 * j], mods[2 * j + 1], (at(2 * j), at(2 * j + 1)), record)
        return self.to_rgb.forward_modulated(x, *mods[-1], at(len(mods) - 1), record)

    def synthesize(self, styles: list[torch.Tensor]) -> torch.Tensor:
        """Style tensors (one per modulated layer) -> raw image in about [-1, 1]."""
        x = self.conv1(self.input(styles[0].shape[0]), styles[0])
        for i, block in enumerate(self.convs):
            x = block(x, styles[1 + 2 * i], styles[2 + 2 * i])
        return self.to_rgb(x, styles[-1])

    def forward(self, stylemap):
        return self.synthesize(self.convs_latent(stylemap))


class Generator(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        c, s = cfg.latent_channel_size, cfg.latent_spatial_size
        layers: list[nn.Module] = [PixelNorm()]
        for i in range(cfg.mapping_layer_num):
            out_dim = c * s * s if i == cfg.mapping_layer_num - 1 else c
            layers.append(EqualLinear(c, out_dim, lr_mul=cfg.lr_mul))
        self.mapping_z = nn.Sequential(*layers)
        self.decoder = Decoder(cfg)

    def map(self, z: torch.Tensor) -> torch.Tensor:
        c, s = self.cfg.latent_channel_size, self.cfg.latent_spatial_size
        return self.mapping_z(z).view(-1, c, s, s)

    def forward(self, stylemap: torch.Tensor) -> torch.Tensor:
        return self.decoder(stylemap)


class ResDownBlock(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv1 = PlainConv(in_ch, in_ch, 3)
        self.conv2 = DownConv(in_ch, out_ch, 3)
        self.skip = DownConv(in_ch, out_ch, 1, activate=False)

    def forward(self, x):
        # the block's 1 / sqrt(2) inside both branches' weights (conv_lrelu), not on their sum
        return self.conv2(self.conv1(x), gain=1 / math.sqrt(2)) + self.skip(x, gain=1 / math.sqrt(2))


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        ch = cfg.channels()
        self.from_rgb = PlainConv(3, ch[cfg.size], 1)
        blocks = []
        for r in reversed(cfg.resolutions()):
            blocks.append(ResDownBlock(ch[r], ch[r // 2]))
        self.convs = nn.Sequential(*blocks)
        self.final_conv = PlainConv(ch[cfg.latent_spatial_size], cfg.latent_channel_size, 3)

    def forward(self, image):
        return self.final_conv(self.convs(self.from_rgb(image)))


class MinibatchStd(nn.Module):
    def __init__(self, group=4):
        super().__init__()
        self.group = group

    def forward(self, x):
        n, c, h, w = x.shape
        g = min(n, self.group)
        while n % g:
            g -= 1
        y = x.view(g, -1, 1, c, h, w)
        y = torch.sqrt(y.var(0, unbiased=False) + 1e-8).mean(dim=(2, 3, 4), keepdim=True).squeeze(2)
        y = y.repeat(g, 1, h, w)
        return torch.cat([x, y], 1)


class Discriminator(nn.Module):
    """StyleGAN2-style residual discriminator (used for training only)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        ch = cfg.channels()
        self.from_rgb = PlainConv(3, ch[cfg.size], 1)
        blocks, r = [], cfg.size
        while r > 4:
            blocks.append(ResDownBlock(ch[r], ch[r // 2]))
            r //= 2
        self.convs = nn.Sequential(*blocks)
        self.stddev = MinibatchStd()
        self.final_conv = PlainConv(ch[4] + 1, ch[4], 3)
        self.final_linear = nn.Sequential(EqualLinear(ch[4] * 16, ch[4]), EqualLinear(ch[4], 1, activation=False))

    def forward(self, image):
        x = self.stddev(self.convs(self.from_rgb(image)))
        x = self.final_conv(x)
        return self.final_linear(x.flatten(1))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
