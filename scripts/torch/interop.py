"""rnnlab <-> PyTorch, checked with real PyTorch (src/data/interop.ts describes the layout).

Run with Debian's interpreter (python3-torch):

  /usr/bin/python3 scripts/torch/interop.py write test/fixtures/torch
      PyTorch-initialised modules of every task (small sizes), each as <case>.safetensors in rnnlab's interop
      format, with <case>.check.safetensors: the inputs and PyTorch's logits on them. test/interop-torch.test.ts
      loads them into rnnlab on the GPU and must reproduce the logits (so CI needs no PyTorch).
  /usr/bin/python3 scripts/torch/interop.py check DIR
      Every <case>.check.safetensors in DIR (e.g. what test/interop-torch.test.ts exported from rnnlab, with
      rnnlab's logits): builds the task's module from the model file's metadata, loads the weights with
      load_state_dict(strict=True), runs it on the inputs and compares with the logits in the file. Exit 1 when
      a case differs by more than 1e-4 (max |difference| / max |logit|).

The safetensors package is not in Debian: the format is simple enough to read and write here (8-byte
little-endian header length, a JSON header, row-major little-endian data).
"""
import json
import pathlib
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

TOLERANCE = 1e-4
DTYPES = {'F32': np.float32, 'F16': np.float16}


def read_safetensors(path):
    raw = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        if e['dtype'] == 'BF16':
            halves = np.frombuffer(body[e['data_offsets'][0]:e['data_offsets'][1]], dtype='<u2').astype(np.uint32) << 16
            arr = halves.view(np.float32)
        else:
            arr = np.frombuffer(body[e['data_offsets'][0]:e['data_offsets'][1]], dtype=np.dtype(DTYPES[e['dtype']]).newbyteorder('<'))
        tensors[name] = torch.from_numpy(arr.astype(np.float32).reshape(e['shape']).copy())
    return tensors, meta


def write_safetensors(path, tensors, meta):
    header, chunks, at = {'__metadata__': meta}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [at, at + len(data)]}
        chunks.append(data)
        at += len(data)
    text = json.dumps(header)
    text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
    pathlib.Path(path).write_bytes(struct.pack('<Q', len(text)) + text.encode() + b''.join(chunks))


class Mnist(nn.Module):
    """x [B, 28, 28] (rows as time steps) -> logits [B, classes] from the last step's output."""

    def __init__(self, cell, hidden, input_size=28, classes=10):
        super().__init__()
        if cell == 'lstm':
            self.lstm = nn.LSTM(input_size, hidden, batch_first=True)
        else:
            self.rnn = nn.RNN(input_size, hidden, nonlinearity='tanh', batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = (self.lstm if hasattr(self, 'lstm') else self.rnn)(x)
        return self.fc(y[:, -1])


class Fable(nn.Module):
    """ids [B, 3] -> logits [B, V] of the next word. The fast preset embeds the ids; the original feeds each id
    as one float (the tutorial's recipe)."""

    def __init__(self, vocab, hidden, layers, embed):
        super().__init__()
        if embed:
            self.embedding = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden if embed else 1, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, ids):
        x = self.embedding(ids.long()) if hasattr(self, 'embedding') else ids.float().unsqueeze(-1)
        y, _ = self.lstm(x)
        return self.fc(y[:, -1])


class Ptb(nn.Module):
    """ids [B, T] -> logits [B, T, V] after every step (zero initial state; dropout is for training only)."""

    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, ids):
        y, _ = self.lstm(self.embedding(ids.long()))
        return self.fc(y)


def module_of(meta):
    """The PyTorch module of a model file's metadata (format rnnlab-pytorch)."""
    if meta.get('format') != 'rnnlab-pytorch':
        raise SystemExit(f'not an rnnlab-pytorch file (format {meta.get("format")!r})')
    c = json.loads(meta['config'])
    task = meta['task']
    if task == 'mnist':
        return Mnist(c['cell'], c['hidden'], c['inputSize'], c['classes'])
    if task == 'fable':
        return Fable(c['vocab'], c['hidden'], c['layers'], c['input'] == 'embedding')
    if task == 'ptb':
        return Ptb(c['vocab'], c['hidden'], c['layers'])
    raise SystemExit(f'unknown task {task!r}')


def relative_difference(got, want):
    return (got - want).abs().max().item() / max(want.abs().max().item(), 1e-30)


def write(out):
    """PyTorch-initialised modules (PyTorch's default init: both biases non-zero), inputs and their logits."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(14)
    B = 3
    words = lambda n: ' '.join(f'w{i}' for i in range(n))
    cases = [
        ('mnist-lstm16', 'mnist', {'cell': 'lstm', 'hidden': 16, 'steps': 28, 'inputSize': 28, 'classes': 10, 'forgetBias': 1}, None,
         lambda: torch.rand(B, 28, 28)),
        ('mnist-rnn16', 'mnist', {'cell': 'rnn', 'hidden': 16, 'steps': 28, 'inputSize': 28, 'classes': 10, 'forgetBias': 0}, None,
         lambda: torch.rand(B, 28, 28)),
        ('fable-fast8', 'fable', {'vocab': 12, 'hidden': 8, 'layers': 2, 'steps': 3, 'input': 'embedding', 'predict': 'last-step', 'keepProb': 1,
                                  'forgetBias': 1, 'init': 'uniform', 'initScale': 0.05}, 12, lambda: torch.randint(0, 12, (B, 3)).float()),
        ('fable-original8', 'fable', {'vocab': 12, 'hidden': 8, 'layers': 2, 'steps': 3, 'input': 'id-float', 'predict': 'last-step', 'keepProb': 1,
                                      'forgetBias': 1, 'init': 'tf-default'}, 12, lambda: torch.randint(0, 12, (B, 3)).float()),
        ('ptb-2x8', 'ptb', {'vocab': 20, 'hidden': 8, 'layers': 2, 'steps': 5, 'input': 'embedding', 'predict': 'every-step', 'keepProb': 1,
                            'forgetBias': 0, 'init': 'uniform', 'initScale': 0.1}, 20, lambda: torch.randint(0, 20, (B, 5)).float()),
    ]
    for name, task, config, vocab, inputs in cases:
        meta = {'format': 'rnnlab-pytorch', 'task': task, 'config': json.dumps(config), 'description': f'PyTorch {torch.__version__} default initialisation (scripts/torch/interop.py)'}
        if vocab:
            meta['vocab'] = words(vocab)
        model = module_of(meta).eval()
        x = inputs()
        with torch.no_grad():
            logits = model(x)
        write_safetensors(out / f'{name}.safetensors', dict(model.state_dict()), meta)
        write_safetensors(out / f'{name}.check.safetensors', {'input': x, 'logits': logits}, {'model': f'{name}.safetensors', 'by': f'PyTorch {torch.__version__}'})
        print(f'{name}: {sum(p.numel() for p in model.parameters())} parameters, logits {list(logits.shape)}')


def check(folder):
    folder = pathlib.Path(folder)
    checks = sorted(folder.glob('*.check.safetensors'))
    if not checks:
        raise SystemExit(f'{folder}: no *.check.safetensors files (run the vitest test test/interop-torch.test.ts first)')
    worst = 0.0
    for path in checks:
        data, meta = read_safetensors(path)
        weights, model_meta = read_safetensors(folder / meta['model'])
        model = module_of(model_meta).eval()
        model.load_state_dict(weights, strict=True)
        with torch.no_grad():
            got = model(data['input'])
        d = relative_difference(got, data['logits'])
        worst = max(worst, d)
        print(f'{meta["model"]}: load_state_dict(strict=True) ok; PyTorch {torch.__version__} logits {list(got.shape)} vs {meta.get("by", "the file")}: max relative difference {d:.2e}')
    print(f'worst: {worst:.2e} (tolerance {TOLERANCE:.0e})')
    if worst > TOLERANCE:
        sys.exit(1)


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('write', 'check'):
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    (write if sys.argv[1] == 'write' else check)(sys.argv[2])
