#!/usr/bin/env bash
# PyTorch-BigGraph 1.0 in its own venv (./.pbg-venv), for the interop test and benchmarks/graph_vs_pbg.py
# only: EmbedStudio itself never needs torch. torch is pinned to the CPU build this machine kind keeps
# on local disk (an unpinned torch would pull a several-GB CUDA build); PBG 1.0 imports pkg_resources,
# which setuptools 81 dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .pbg-venv/bin/python ] || "$python" -m venv .pbg-venv
.pbg-venv/bin/python -m pip install -q --upgrade pip
.pbg-venv/bin/python -m pip install -q "torch==2.13.0" "torchbiggraph==1.0.0" h5py "setuptools<81"
.pbg-venv/bin/python -c "import torchbiggraph, torch; print('PyTorch-BigGraph', torchbiggraph.__version__ if hasattr(torchbiggraph, '__version__') else '1.0', 'with torch', torch.__version__, 'in .pbg-venv')"
