"""A plain-Python word2vec chunk, line for line what the numba kernel is meant to compute.

Slow and obvious on purpose: the kernel is checked against it on small inputs.
"""

import math

import numpy as np

from embedstudio.train.kernels.sgns import EXP_TABLE_SIZE, MAX_EXP

M64 = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z ^= z >> 31
    return z or 0x9E3779B97F4A7C15


def next_state(s):
    s ^= s >> 12
    s ^= (s << 25) & M64
    s ^= s >> 27
    return s


def output(s):
    return (s * 0x2545F4914F6CDD1D) & M64


def uniform01(r):
    return np.float32((r >> 40) / 16777216.0)


def below(r, n):
    return ((r & 0xFFFFFFFF) * n) >> 32


def table_index(f):
    return int((float(f) + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2.0))


def train_targets(l1, syn1, center, negative, alpha, neu1e, sig, logsig, alias_prob, alias_idx, state):
    loss = 0.0
    for k in range(negative + 1):
        if k == 0:
            target, label = center, 1.0
        else:
            state = next_state(state)
            r = output(state)
            target = below(r, syn1.shape[0])
            if uniform01(r) >= alias_prob[target]:
                target = int(alias_idx[target])
            if target == center:
                continue
            label = 0.0
        f = float(np.dot(l1.astype(np.float64), syn1[target].astype(np.float64)))
        if f >= MAX_EXP:
            g = (label - 1.0) * alpha
            loss += MAX_EXP if label == 0.0 else 0.0
        elif f <= -MAX_EXP:
            g = label * alpha
            loss += MAX_EXP if label == 1.0 else 0.0
        else:
            g = (label - float(sig[table_index(f)])) * alpha
            loss -= float(logsig[table_index(f if label == 1.0 else -f)])
        neu1e += np.float32(g) * syn1[target]
        syn1[target] += np.float32(g) * l1
    return loss, state


def train_chunk(syn0, syn1, tokens, starts, first, end, keep, alias_prob, alias_idx, sig, logsig,
                skipgram, cbow_mean, window, negative, alpha_start, alpha_end, seed):
    dim = syn0.shape[1]
    state = splitmix64(seed % (1 << 64))
    first_token = int(starts[first])
    n_tokens = max(int(starts[end]) - first_token, 1)
    loss, examples, effective = 0.0, 0, 0
    for s in range(first, end):
        a, b = int(starts[s]), int(starts[s + 1])
        alpha = np.float32(alpha_start + (alpha_end - alpha_start) * ((a - first_token) / n_tokens))
        kept = []
        for t in range(a, b):
            w = int(tokens[t])
            if keep[w] < 1.0:
                state = next_state(state)
                if uniform01(output(state)) >= keep[w]:
                    continue
            kept.append(w)
        effective += len(kept)
        n = len(kept)
        for i in range(n):
            state = next_state(state)
            reduced = below(output(state), window)
            lo, hi = max(0, i - window + reduced), min(n, i + window + 1 - reduced)
            context = [kept[j] for j in range(lo, hi) if j != i]
            if skipgram:
                for c in context:
                    neu1e = np.zeros(dim, np.float32)
                    pair, state = train_targets(syn0[c], syn1, kept[i], negative, alpha, neu1e, sig, logsig,
                                                alias_prob, alias_idx, state)
                    loss += pair
                    examples += 1
                    syn0[c] += neu1e
            else:
                if not context:
                    continue
                neu1 = np.zeros(dim, np.float32)
                for c in context:
                    neu1 += syn0[c]
                if cbow_mean:
                    neu1 *= np.float32(1.0 / len(context))
                neu1e = np.zeros(dim, np.float32)
                pair, state = train_targets(neu1, syn1, kept[i], negative, alpha, neu1e, sig, logsig,
                                            alias_prob, alias_idx, state)
                loss += pair
                examples += 1
                if not cbow_mean:
                    neu1e *= np.float32(1.0 / len(context))
                for c in context:
                    syn0[c] += neu1e
    return loss, examples, effective, int(starts[end]) - first_token


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def softplus(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def score_targets(l1, syn1, center, negative, alias_prob, alias_idx, state):
    """The exact loss of one input against its positive and negatives, nothing updated."""
    loss = 0.0
    for k in range(negative + 1):
        if k == 0:
            target = center
        else:
            state = next_state(state)
            r = output(state)
            target = below(r, syn1.shape[0])
            if uniform01(r) >= alias_prob[target]:
                target = int(alias_idx[target])
            if target == center:
                continue
        f = float(np.dot(l1.astype(np.float64), syn1[target].astype(np.float64)))
        loss += softplus(-f) if k == 0 else softplus(f)
    return loss, state


def eval_loss(syn0, syn1, tokens, starts, sentences, keep, alias_prob, alias_idx, skipgram, cbow_mean, window,
              negative, seed):
    """-log σ(u·v) - Σ log σ(-u·n) over the listed sentences; each sentence draws from its own state."""
    loss, examples = 0.0, 0
    for s in sentences:
        state = splitmix64((splitmix64(seed % (1 << 64)) + int(s)) & M64)
        kept = []
        for t in range(int(starts[s]), int(starts[s + 1])):
            w = int(tokens[t])
            if keep[w] < 1.0:
                state = next_state(state)
                if uniform01(output(state)) >= keep[w]:
                    continue
            kept.append(w)
        n = len(kept)
        for i in range(n):
            state = next_state(state)
            reduced = below(output(state), window)
            lo, hi = max(0, i - window + reduced), min(n, i + window + 1 - reduced)
            context = [kept[j] for j in range(lo, hi) if j != i]
            inputs = [syn0[c] for c in context] if skipgram else []
            if not skipgram and context:
                mean = np.sum([syn0[c] for c in context], axis=0, dtype=np.float32)
                inputs = [mean * np.float32(1.0 / len(context)) if cbow_mean else mean]
            for l1 in inputs:
                pair, state = score_targets(l1, syn1, kept[i], negative, alias_prob, alias_idx, state)
                loss += pair
                examples += 1
    return loss, examples
