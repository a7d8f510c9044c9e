"""Run by WEFE's own venv (never imported by the test suite): WEFE's WEAT effect sizes on its bundled
test model, and that model's words and vectors as .npy/.json so the tests never unpickle anything.

    .wefe-venv/bin/python tests/analysis/wefe_reference.py OUT_FOLDER TESTS_JSON [P_VALUE_ITERATIONS]

With P_VALUE_ITERATIONS, WEFE's one-sided p-value of every test too (its "approximate" method: it
draws the target words with replacement and reports (count + 1) / (iterations + 1); slow).
"""

import json
import os
import sys

import numpy as np
import wefe
from gensim.models import KeyedVectors
from wefe.datasets import load_weat
from wefe.metrics import WEAT
from wefe.query import Query
from wefe.word_embedding_model import WordEmbeddingModel


def main() -> None:
    out, tests = sys.argv[1], json.loads(sys.argv[2])
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    kv = KeyedVectors.load(os.path.join(os.path.dirname(wefe.__file__), "datasets", "data", "test_model.kv"))
    model = WordEmbeddingModel(kv, "test")
    sets = load_weat()
    results = []
    for x, y, a, b in tests:
        query = Query([sets[x], sets[y]], [sets[a], sets[b]], [x, y], [a, b])
        d = WEAT().run_query(query, model, return_effect_size=True, lost_vocabulary_threshold=0.5)["result"]
        entry = {"test": [x, y, a, b], "d": None if not np.isfinite(d) else float(d)}
        if iterations:
            r = WEAT().run_query(query, model, calculate_p_value=True, p_value_iterations=iterations,
                                 p_value_test_type="right-sided", lost_vocabulary_threshold=0.5)
            entry["p"] = float(r["p_value"])
        results.append(entry)
    np.save(os.path.join(out, "vectors.npy"), np.asarray(kv.vectors, dtype=np.float32), allow_pickle=False)
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"version": wefe.__version__, "keys": list(kv.index_to_key), "sets": sets, "results": results}, f)


if __name__ == "__main__":
    main()
