#!/usr/bin/env bash
# fastText (Facebook's C++ library, Python bindings) in its own venv (./.fasttext-venv), as the
# reference for the supervised TagSpace benchmark (benchmarks/fasttext_side.py). The prebuilt
# `fasttext-wheel` is tried first (no compiler needed), then the `fasttext` sdist (builds with a
# C++ compiler and pybind11). Both call np.array(..., copy=False) in predict(), which numpy 2
# rejects, so numpy is pinned below 2 here; EmbedStudio's own environment must not be held to that.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .fasttext-venv/bin/python ] || "$python" -m venv .fasttext-venv
.fasttext-venv/bin/python -m pip install -q --upgrade pip
.fasttext-venv/bin/python -m pip install -q "numpy>=1.21,<2"
.fasttext-venv/bin/python -m pip install -q "fasttext-wheel==0.9.2" "numpy>=1.21,<2" \
  || .fasttext-venv/bin/python -m pip install -q "fasttext>=0.9.2,<0.10" "numpy>=1.21,<2"
# Smoke test: train a tiny supervised model and predict with it (predict is what numpy 2 breaks).
.fasttext-venv/bin/python - <<'PY'
import os, tempfile
import fasttext
import numpy as np
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "t.txt")
    with open(path, "w") as f:
        for _ in range(50):
            f.write("__label__a red apple fruit\n__label__b blue sky cloud\n")
    m = fasttext.train_supervised(path, epoch=5, dim=8, minCount=1, thread=1, verbose=0)
    labels, probs = m.predict("red apple", k=2)
print("fastText", getattr(fasttext, "__version__", "0.9.x"), "numpy", np.__version__,
      "in .fasttext-venv; predict ->", labels[0])
PY
