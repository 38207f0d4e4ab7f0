"""Models for the NetworkDiagram browser tests (imported by the network_*.ipynb notebooks)."""

from __future__ import annotations

import torch
import torch.nn as nn

XSS = "<img src=x onerror=alert(1)>"


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))
        self.classifier.add_module(XSS, nn.Softmax(dim=1))  # a user string that is HTML

    def forward(self, x):
        return self.classifier(self.features(x))


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else None)

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1), nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(nn.Sequential(Block(cin, w, 1 if i == 0 else 2), Block(w, w)))
            cin = w
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def transformer() -> nn.Module:
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)


class Multimodal(nn.Module):
    """An image branch and a tabular branch, fused."""

    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.tabular = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 8))
        self.head = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, image, tabular):
        return self.head(torch.cat([self.image(image), self.tabular(tabular)], dim=1))


class MLPBlock(nn.Module):
    def __init__(self, width: int, hidden: int = 0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.act = nn.GELU()
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(hidden))
        self.fc2 = nn.Linear(width, width)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        h = self.act(self.fc1(x))
        for layer in self.hidden:
            h = torch.relu(layer(h))
        return x + self.drop(self.fc2(h))


def deep(stages: int, blocks: int, width: int = 8, hidden: int = 0) -> nn.Module:
    """stages x blocks residual MLP blocks: 5 nodes per block (+2 per hidden layer) plus the containers."""
    return nn.Sequential(*[nn.Sequential(*[MLPBlock(width, hidden) for _ in range(blocks)]) for _ in range(stages)])
