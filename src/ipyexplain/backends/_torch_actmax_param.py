"""Image parameterisations and regularisers for activation maximization.

- **pixels**: one free parameter per pixel, squashed into the input range by a sigmoid;
- **decorrelated** (Olah et al., *Feature Visualization*, 2017): the image is the inverse FFT of a
  spectrum whose frequencies are scaled by 1/f (so the optimiser moves low frequencies as easily as
  high ones) and, for RGB, its colours are mixed by the square root of ImageNet's colour correlation;
  then the sigmoid. Natural-looking images without an explicit blur.

Regularisers: random jitter (roll) before each forward pass, L2 decay towards mid-grey, total
variation (a high-frequency penalty), and Gaussian blur of the pixel parameters every few steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Square root of the colour correlation of natural images (Lucid's color_correlation_svd_sqrt).
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32)


class Parameterisation:
    """``image()`` -> (1, C, H, W) in [lo, hi]; ``params`` are what the optimiser moves."""

    def __init__(self, torch: Any, shape: tuple[int, int, int], *, decorrelate: bool, lo: float, hi: float,
                 generator: Any, device: Any) -> None:
        self.torch, self.shape, self.decorrelate, self.lo, self.hi = torch, shape, decorrelate, lo, hi
        c, h, w = shape
        if decorrelate:
            fy = np.fft.fftfreq(h)[:, None]
            fx = np.fft.rfftfreq(w)[None, :]
            freqs = np.sqrt(fx * fx + fy * fy)
            scale = 1.0 / np.maximum(freqs, 1.0 / max(h, w))
            scale = scale / scale.mean()
            self.scale = torch.tensor(scale, dtype=torch.float32, device=device)
            init = torch.randn((1, c, h, w // 2 + 1, 2), generator=generator) * 0.01
            self.param = init.to(device).requires_grad_()
            if c == 3:
                norm = np.max(np.linalg.norm(_COLOR_SQRT, axis=0))
                self.color = torch.tensor(_COLOR_SQRT / norm, device=device)
            else:
                self.color = None
        else:
            init = torch.randn((1, c, h, w), generator=generator) * 0.01
            self.param = init.to(device).requires_grad_()

    @property
    def params(self) -> list[Any]:
        return [self.param]

    def image(self) -> Any:
        torch = self.torch
        if self.decorrelate:
            spectrum = torch.view_as_complex(self.param) * self.scale
            x = torch.fft.irfft2(spectrum, s=self.shape[1:], norm="ortho")
            if self.color is not None:
                x = torch.einsum("bchw,dc->bdhw", x, self.color)
        else:
            x = self.param
        return self.lo + (self.hi - self.lo) * torch.sigmoid(x)

    def blur(self, sigma: float) -> None:
        """Gaussian-blur the pixel parameters in place (a no-op for the decorrelated spectrum)."""
        if self.decorrelate or sigma <= 0:
            return
        torch = self.torch
        radius = max(1, round(2 * sigma))
        t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=self.param.device)
        kernel = torch.exp(-(t * t) / (2 * sigma * sigma))
        kernel = kernel / kernel.sum()
        c = self.shape[0]
        with torch.no_grad():
            x = self.param
            x = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (radius, radius, 0, 0), mode="reflect"),
                                           kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
            x = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (0, 0, radius, radius), mode="reflect"),
                                           kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
            self.param.copy_(x)


def jitter(torch: Any, image: Any, pixels: int, generator: Any) -> Any:
    if pixels <= 0:
        return image
    dy, dx = (int(v) for v in torch.randint(-pixels, pixels + 1, (2,), generator=generator))
    return torch.roll(image, shifts=(dy, dx), dims=(2, 3))


def total_variation(image: Any) -> Any:
    vertical = (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean()
    return vertical + (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean()
