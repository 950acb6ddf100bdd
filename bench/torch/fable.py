# PyTorch reference for the fable tutorial's original recipe (TF1 semantics: BasicLSTMCell forget_bias 1,
# Glorot kernels, N(0,1) output layer, RMSProp with ms initialised to 1, eps inside the sqrt), batch 1, window walk.
import sys, time, random, numpy as np, torch, torch.nn as nn
text = open(sys.argv[1]).read().split()
seed = int(sys.argv[2]); iters = int(sys.argv[3]); dev = sys.argv[4] if len(sys.argv) > 4 else 'cuda'
count = {}; first = {}
for i, w in enumerate(text):
    count[w] = count.get(w, 0) + 1; first.setdefault(w, i)
words = sorted(count, key=lambda w: (-count[w], first[w])); V = len(words); ids = [words.index(w) for w in text]
torch.manual_seed(seed); random.seed(seed)
H, n_input = 512, 3
rnn = nn.LSTM(1, H, num_layers=2).to(dev)
with torch.no_grad():
    for l, ind in ((0, 1), (1, H)):
        lim = (6 / (ind + H + 4 * H)) ** 0.5
        for n in ('weight_ih', 'weight_hh'): getattr(rnn, f'{n}_l{l}').uniform_(-lim, lim)
        getattr(rnn, f'bias_ih_l{l}').zero_(); getattr(rnn, f'bias_hh_l{l}').zero_()
        getattr(rnn, f'bias_ih_l{l}')[H:2 * H] = 1.0
W = torch.randn(H, V, device=dev, requires_grad=True); b = torch.randn(V, device=dev, requires_grad=True)
params = list(rnn.parameters()) + [W, b]
params = [p for p in params]
ms = [torch.ones_like(p) for p in params]
data = torch.tensor(ids, dtype=torch.float32, device=dev); tgt = torch.tensor(ids, dtype=torch.int64, device=dev)
offset = random.randint(0, n_input + 1); end_offset = n_input + 1
hits = torch.zeros((), device=dev); t0 = time.time(); log = []
for step in range(1, iters + 1):
    if offset > len(ids) - end_offset: offset = random.randint(0, n_input + 1)
    x = data[offset:offset + n_input].view(n_input, 1, 1)
    y, _ = rnn(x)
    logits = y[-1] @ W + b
    t = tgt[offset + n_input].view(1)
    loss = nn.functional.cross_entropy(logits, t)
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        torch._foreach_mul_(ms, 0.9); torch._foreach_addcmul_(ms, grads, grads, value=0.1)
        den = torch._foreach_sqrt(torch._foreach_add(ms, 1e-10)); torch._foreach_addcdiv_(params, grads, den, value=-0.001)
        hits += (logits.argmax(1) == t).float().sum()
    offset += n_input + 1
    if step % 1000 == 0:
        a = hits.item() / 10; hits.zero_(); log.append(a)
        if step % 10000 == 0: print(f'torch fable seed {seed} iter {step}: average accuracy {a:.2f}% ({time.time() - t0:.0f} s)', flush=True)
print(f'torch fable seed {seed}: {iters} iterations, last-1000 average accuracy {log[-1]:.2f}%, best {max(log):.2f}%, mean of the last 5 windows {np.mean(log[-5:]):.2f}%, {time.time() - t0:.0f} s', flush=True)
