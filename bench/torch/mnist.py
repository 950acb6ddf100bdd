# PyTorch (cuDNN) reference for the MNIST row-LSTM recipe, initialised as rnnlab / TF do. Full 10k test set.
import sys, time, numpy as np, torch, torch.nn as nn
D = sys.argv[1]
def idx(name, off):
    return np.frombuffer(open(f'{D}/{name}', 'rb').read(), dtype=np.uint8, offset=off)
Xtr = torch.tensor(idx('train-images-idx3-ubyte', 16).reshape(-1, 28, 28) / 255.0, dtype=torch.float32).cuda()
Ytr = torch.tensor(idx('train-labels-idx1-ubyte', 8).astype(np.int64)).cuda()
Xte = torch.tensor(idx('t10k-images-idx3-ubyte', 16).reshape(-1, 28, 28) / 255.0, dtype=torch.float32).cuda()
Yte = torch.tensor(idx('t10k-labels-idx1-ubyte', 8).astype(np.int64)).cuda()
H = 128
class Net(nn.Module):
    def __init__(s, cell):
        super().__init__()
        s.cell = cell
        s.rnn = nn.LSTM(28, H, batch_first=True) if cell == 'lstm' else nn.RNN(28, H, batch_first=True)
        g = 4 if cell == 'lstm' else 1
        lim = (6 / (28 + H + g * H)) ** 0.5
        with torch.no_grad():
            for p in (s.rnn.weight_ih_l0, s.rnn.weight_hh_l0): p.uniform_(-lim, lim)
            s.rnn.bias_ih_l0.zero_(); s.rnn.bias_hh_l0.zero_()
            if cell == 'lstm': s.rnn.bias_ih_l0[H:2 * H] = 1.0
        s.out = nn.Linear(H, 10)
        nn.init.xavier_uniform_(s.out.weight); nn.init.zeros_(s.out.bias)
    def forward(s, x):
        y, _ = s.rnn(x)
        return s.out(y[:, -1])
for cell, batch, epochs in [(c, int(b), int(e)) for c, b, e in (a.split(':') for a in sys.argv[2].split(','))]:
    accs = []
    for seed in range(1, int(sys.argv[3]) + 1):
        torch.manual_seed(seed)
        net = Net(cell).cuda(); opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-8)
        t0 = time.time(); per = []
        for ep in range(epochs):
            perm = torch.randperm(60000, device='cuda')
            for i in range(60000 // batch):
                b = perm[i * batch:(i + 1) * batch]
                loss = nn.functional.cross_entropy(net(Xtr[b]), Ytr[b])
                opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
            with torch.no_grad():
                acc = sum((net(Xte[j:j + 1000]).argmax(1) == Yte[j:j + 1000]).sum().item() for j in range(0, 10000, 1000)) / 100
            per.append(acc)
        accs.append(per[-1])
        print(f'torch {cell} batch {batch} seed {seed}: test acc per epoch {per} ({time.time() - t0:.1f} s)', flush=True)
    a = np.array(accs)
    print(f'torch {cell} batch {batch} {epochs} epochs over {len(a)} seeds: mean {a.mean():.2f} min {a.min():.2f} max {a.max():.2f}', flush=True)
