#!/usr/bin/env bash
# WEFE 1.x in its own venv (./.wefe-venv), for the test that checks our WEAT against it: WEFE pins
# numpy <= 1.26.4 and scipy < 1.13, which EmbedStudio's own environment must not be held to.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .wefe-venv/bin/python ] || "$python" -m venv .wefe-venv
.wefe-venv/bin/python -m pip install -q --upgrade pip
.wefe-venv/bin/python -m pip install -q "wefe>=1.0,<2"
.wefe-venv/bin/python -c "import wefe; print('WEFE', wefe.__version__, 'in .wefe-venv')"
