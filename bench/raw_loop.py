"""The raw training loop of bench/SeqLab.Bench/SideBySide.cs in PyTorch: same models, sizes, data and optimiser.

Called by the bench (one process per run); prints milliseconds per step. Needs Debian's python3-torch:
    sudo apt install python3-torch
Arguments: model batch length input hidden transformer_width transformer_layers steps threads text_file|-
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Pre-norm Transformer block, as in the C# raw loop: attention, GELU feed-forward, residuals."""

    def __init__(self, width, heads, causal):
        super().__init__()
        self.heads = heads
        self.causal = causal
        self.attention_norm = nn.LayerNorm(width)
        self.feed_forward_norm = nn.LayerNorm(width)
        self.query, self.key, self.value, self.output = (nn.Linear(width, width) for _ in range(4))
        self.feed_forward_in = nn.Linear(width, 4 * width)
        self.feed_forward_out = nn.Linear(4 * width, width)

    def forward(self, x):
        batch, steps, width = x.shape
        head_size = width // self.heads

        def split(t):
            return t.view(batch, steps, self.heads, head_size).transpose(1, 2)

        normed = self.attention_norm(x)
        scores = split(self.query(normed)) @ split(self.key(normed)).transpose(-2, -1) / math.sqrt(head_size)
        if self.causal:  # a language model must not see ahead
            scores = scores.masked_fill(torch.ones(steps, steps, dtype=torch.bool).triu(1), float("-inf"))
        mixed = (scores.softmax(-1) @ split(self.value(normed))).transpose(1, 2).reshape(batch, steps, width)
        x = x + self.output(mixed)
        return x + self.feed_forward_out(F.gelu(self.feed_forward_in(self.feed_forward_norm(x))))


class Model(nn.Module):
    def __init__(self, kind, length, input_size, hidden, width, layers, vocabulary):
        super().__init__()
        self.kind = kind
        self.language_model = vocabulary > 0
        self.embedding = nn.Embedding(vocabulary, input_size) if self.language_model else None
        out_width = hidden
        if kind == "RnnTanh":
            self.recurrent = nn.RNN(input_size, hidden, 1, nonlinearity="tanh", batch_first=True)
        elif kind == "RnnRelu":
            self.recurrent = nn.RNN(input_size, hidden, 1, nonlinearity="relu", batch_first=True)
        elif kind == "Lstm":
            self.recurrent = nn.LSTM(input_size, hidden, 1, batch_first=True)
        elif kind == "Gru":
            self.recurrent = nn.GRU(input_size, hidden, 1, batch_first=True)
        else:
            self.recurrent = None
            out_width = width
            self.input_projection = nn.Linear(input_size, width) if input_size != width else None
            self.blocks = nn.ModuleList(Block(width, 4, self.language_model) for _ in range(layers))
            self.final_norm = nn.LayerNorm(width)
            position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
            frequency = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
            table = torch.zeros(length, width)
            table[:, 0::2] = torch.sin(position * frequency)
            table[:, 1::2] = torch.cos(position * frequency)
            self.register_buffer("positions", table)
        self.head = nn.Linear(out_width, vocabulary if self.language_model else 1)

    def forward(self, inputs):
        x = self.embedding(inputs) if self.embedding is not None else inputs
        if self.recurrent is not None:
            steps = self.recurrent(x)[0]
            return self.head(steps) if self.language_model else self.head(steps[:, -1])
        if self.input_projection is not None:
            x = self.input_projection(x)
        x = x + self.positions
        for block in self.blocks:
            x = block(x)
        steps = self.final_norm(x)
        return self.head(steps) if self.language_model else self.head(steps.mean(1))


def main():
    kind, batch, length, input_size, hidden, width, layers, steps, threads, text_file = sys.argv[1:]
    batch, length, input_size, hidden, width, layers, steps, threads = map(int, (batch, length, input_size, hidden, width, layers, steps, threads))
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    if text_file != "-":
        text = open(text_file, encoding="utf-8").read()
        symbols = sorted(set(text))
        lookup = {c: i for i, c in enumerate(symbols)}
        encoded = torch.tensor([lookup[c] for c in text], dtype=torch.long)
        vocabulary = len(symbols)

        def sample():
            starts = torch.randint(0, len(encoded) - length - 1, (batch,), generator=generator)
            windows = torch.stack([encoded[s:s + length + 1] for s in starts.tolist()])
            return windows[:, :-1], windows[:, 1:]
    else:
        vocabulary = 0
        if input_size == 2:  # the adding problem
            def sample():
                values = torch.rand(batch, length, generator=generator)
                markers = torch.zeros(batch, length)
                first = torch.randint(0, length // 2, (batch,), generator=generator)
                second = torch.randint(length // 2, length, (batch,), generator=generator)
                rows = torch.arange(batch)
                markers[rows, first] = 1
                markers[rows, second] = 1
                return torch.stack([values, markers], 2), (values * markers).sum(1, keepdim=True)
        else:
            def sample():
                return torch.randn(batch, length, input_size, generator=generator), torch.randn(batch, 1, generator=generator)

    model = Model(kind, length, input_size, hidden, width, layers, vocabulary)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def step():
        inputs, targets = sample()
        optimizer.zero_grad()
        outputs = model(inputs)
        if vocabulary:
            loss = F.cross_entropy(outputs.reshape(-1, vocabulary), targets.reshape(-1))
        else:
            loss = F.mse_loss(outputs, targets)
        loss.backward()
        loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(5):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print(f"{1000 * (time.perf_counter() - start) / steps:.3f}")


if __name__ == "__main__":
    main()
