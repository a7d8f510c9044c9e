"""The command line's tools for what was trained or opened: predict, extrinsic, fusion, links, pbg-export,
pbg-import, audit, evaluate, compare, neighbors, analogy, export (the parser is in :mod:`embedstudio.cli`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from embedstudio.cli import load_vectors, note_input, output_format, run_job, write_entity_vectors
from embedstudio.text import count


def cmd_predict(args) -> int:
    from embedstudio.starspacemodel import SpaceModel

    model = SpaceModel.load(args.model)
    if args.similar:
        rows = model.similar_labels(args.similar, k=args.topn)
        print(f"nearest to {args.similar}:")
    else:
        tokens = " ".join(args.query).split()
        q, unknown = model.query_vector(tokens)
        if unknown:
            sys.stderr.write(f"not in the model: {', '.join(unknown[:20])}\n")
        rows = model.predict(tokens, k=args.topn, exclude=tokens if model.mode == "pagespace" else ())
        if not rows:
            raise ValueError("no word of the query is in the model")
    for name, score in rows:
        print(f"  {score:8.4f}  {name}")
    return 0


def _write_result(result, path: str | None) -> None:
    print(result.table())
    if path:
        result.save(path)
        print(f"wrote the result to {path}")


def cmd_extrinsic(args) -> int:
    from embedstudio.data.labelled import read_labelled
    from embedstudio.jobs.extrinsic import extrinsic_job

    embeddings = {}
    for path in args.vectors:
        name = Path(path).name
        while name in embeddings:
            name += "'"
        embeddings[name] = load_vectors(path, args.drop_bad_rows)
    data = _read_node_labels(args.data) if args.nodes else read_labelled(args.data, tokenizer=args.tokenizer)
    _, result = run_job(extrinsic_job(data, embeddings, prefix=args.label_prefix, folds=args.folds, seed=args.seed,
                                      model=args.model))
    if result is None:
        return 130
    _write_result(result, args.json)
    if len(embeddings) >= 2:
        names = list(embeddings)
        for other in names[1:]:
            d = result.paired_difference(other, names[0], "accuracy")
            print(f"accuracy {other} - {names[0]}: {d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}] "
                  f"{'(an improvement)' if d.low > 0 else '(a loss)' if d.high < 0 else '(not significant)'}")
    return 0


def _read_node_labels(path: str):
    """node<TAB>label lines (an edge-list-like file with two columns)."""
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.jobs.extrinsic import NodeLabels

    g = read_edgelist(path, columns="head,tail", typed=False)
    return NodeLabels([g.names[h] for h in g.edges[:, 0]], [g.names[t] for t in g.edges[:, 2]])


def cmd_fusion(args) -> int:
    from embedstudio.data.labelled import read_labelled
    from embedstudio.jobs.extrinsic import fusion_job

    docs = read_labelled(args.data, tokenizer=args.tokenizer)
    text_vectors = load_vectors(args.text_vectors, args.drop_bad_rows)
    _, result = run_job(fusion_job(docs, text_vectors, args.media, prefix=args.label_prefix,
                                   folds=args.folds, seed=args.seed))
    if result is None:
        return 130
    _write_result(result, args.json)
    return 0


def cmd_links(args) -> int:
    from embedstudio.graphmodel import GraphModel

    model = GraphModel.load(args.model)
    if args.entity not in model.embedding:
        raise KeyError(f"{args.entity!r} is not an entity of {args.model}")
    rows = model.predict_links(args.entity, args.relation, tails=not args.heads, topn=args.topn)
    what = "heads of (?, r, {0})" if args.heads else "tails of ({0}, r, ?)"
    print(what.format(args.entity) + (f" for r = {args.relation}" if args.relation else " over every relation"))
    for relation, other, score, _ in rows:
        print(f"  {score:9.4f}  {relation}  {other}")
    return 0


def cmd_pbg_export(args) -> int:
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.data.pbg_cluster import check_cluster
    from embedstudio.jobs.graph import pbg_export_job

    # a bad cluster setting is reported before a big edge list is read (export_pbg checks again)
    check_cluster(args.machines, args.partitions, args.init, interface=args.interface, here=args.check_init_here)
    graph = read_edgelist(args.edges)
    overrides = {}
    for item in args.set or []:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    config = pbg_export_job(graph, args.folder, args.partitions, overrides, args.seed, test_fraction=args.test,
                            machines=args.machines, init_method=args.init, interface=args.interface,
                            check_here=args.check_init_here)
    wrote = (f"wrote PyTorch-BigGraph input for {graph.n_entities:,} entities and "
             f"{graph.n_edges:,} edges{f' ({args.test:.0%} held out)' if args.test > 0 else ''} in "
             f"{args.partitions}x{args.partitions} buckets")
    if args.machines > 1:
        from embedstudio.data.pbg_cluster import HOW_TO_FILE, cluster_instructions

        folder = str(Path(config).parent)
        print(f"{wrote} for {args.machines} machines (these steps are also in {Path(folder) / HOW_TO_FILE}):\n"
              + cluster_instructions(folder, args.machines, args.init, args.interface))
    else:
        print(f"{wrote}; train it with:\n  torchbiggraph_train {config}\n"
              f"then bring the result back with:\n  embedstudio pbg-import {args.folder} -o model.esgraph")
    return 0


def cmd_pbg_import(args) -> int:
    from embedstudio.data.pbg_import import import_pbg

    model = import_pbg(args.checkpoint, version=args.version, entity_path=args.entity_path)
    model.save(args.output)
    print(f"imported {count(len(model.embedding), 'entity')} of {count(model.dim, 'dimension')} and "
          f"{count(model.n_relations, 'relation')} "
          f"({model.operator}, {model.comparator}, {model.relation_mode} relations) into {args.output}")
    write_entity_vectors(model, args)
    return 0


def cmd_audit(args) -> int:
    from embedstudio.analysis.audit import load_preset, run_audit, write_report

    embedding = load_vectors(args.vectors, args.drop_bad_rows)
    preset = load_preset(args.preset)
    result, _ = run_audit(embedding, preset, debias=args.debias, vectors_path=args.vectors)
    write_report(result, preset, args.report, args.json)
    print(f"bias direction from {len(result.parameters['definitional_pairs'])} pairs; first component explains "
          f"{100 * result.explained_variance[0]:.0f}% of their variance")
    after = result.after
    print(f"DirectBias over {len(result.parameters['neutral_words'])} neutral words: {result.before.direct_bias:.4f}"
          + (f" -> {after.direct_bias:.4f} after {args.debias} debiasing" if after else ""))
    for i, t in enumerate(result.before.weat):
        line = f"WEAT {t['name']}: d {t['effect_size']:.3f}, p {t['p_value']:.4f}" if t["effect_size"] is not None \
            else f"WEAT {t['name']}: not computable ({t.get('note')})"
        if after and after.weat[i]["effect_size"] is not None:
            line += f" -> d {after.weat[i]['effect_size']:.3f}, p {after.weat[i]['p_value']:.4f}"
        print(line)
    if result.cluster_recovery is not None:
        print(f"after debiasing, {100 * result.cluster_recovery:.0f}% of the most biased words still cluster by their "
              "old side (Gonen & Goldberg 2019)")
    missing = sum(len(v) for v in result.missing.values())
    if missing:
        print(f"{count(missing, 'word')} of the preset {'is' if missing == 1 else 'are'} not in the vocabulary "
              "(listed in the report)")
    print(f"wrote {args.report} and {args.json or args.report.rsplit('.', 1)[0] + '.json'}")
    return 0


def cmd_evaluate(args) -> int:
    from embedstudio.analysis.evaluate import evaluate_analogies, evaluate_similarity
    from embedstudio.resources import resource

    embedding = load_vectors(args.vectors, args.drop_bad_rows)
    analogies = args.analogies or [str(resource("eval", "questions-words.txt"))]
    for path in analogies:
        result = evaluate_analogies(embedding, path, restrict_vocab=args.restrict_vocab, method=args.method)
        print(f"== analogies: {path}")
        print(result.table())
    for path in args.similarity or []:
        r = evaluate_similarity(embedding, path, restrict_vocab=args.restrict_vocab)
        print(f"== similarity: {path}\nSpearman {r.spearman:.4f}  Pearson {r.pearson:.4f}  "
              f"pairs {r.n_pairs}  out of vocabulary {r.n_oov} ({100 * r.oov_ratio:.1f}%)")
    return 0


def cmd_neighbors(args) -> int:
    embedding = load_vectors(args.vectors, args.drop_bad_rows)
    status = 0
    for word in args.words:
        if word not in embedding:
            print(f"{word}: not in the vocabulary", file=sys.stderr)
            status = 1
            continue
        found = embedding.most_similar(word, topn=args.topn, restrict_vocab=args.restrict_vocab)
        print(f"{word}: " + ", ".join(f"{k} ({s:.3f})" for k, s in found))
    return status


def cmd_analogy(args) -> int:
    embedding = load_vectors(args.vectors, args.drop_bad_rows)
    missing = [w for w in (args.a, args.b, args.c) if w not in embedding]
    if missing:
        print(f"not in the vocabulary: {', '.join(missing)}", file=sys.stderr)
        return 1
    found = embedding.analogy(args.a, args.b, args.c, topn=args.topn, method=args.method,
                              restrict_vocab=args.restrict_vocab)
    print(f"{args.a} : {args.b} :: {args.c} : ?")
    for k, s in found:
        print(f"  {k}\t{s:.4f}")
    return 0


def cmd_export(args) -> int:
    embedding = load_vectors(args.vectors, args.drop_bad_rows)
    if args.limit:
        embedding = embedding.restrict(args.limit)
    fmt = output_format(args.output, args.format)
    from embedstudio.data.vectors_io import write_vectors

    write_vectors(embedding, args.output, fmt, metadata_path=args.metadata)
    print(f"wrote {len(embedding):,} vectors to {args.output} ({fmt})"
          + (f" and metadata to {args.metadata}" if args.metadata else ""))
    return 0


def load_embedding(path: str, drop_bad_rows: bool = False):
    """Vectors, or the vectors of a model file (.esgraph, .esspace, a PyTorch-BigGraph checkpoint folder)."""
    from embedstudio.data import sniff
    from embedstudio.jobs.loading import model_kind, read_any

    kind = model_kind(path) or ("pbg-checkpoint" if sniff.detect(path) == "pbg-checkpoint" else None)
    if kind is None:
        return load_vectors(path, drop_bad_rows)
    note_input(path)
    model = read_any(path, kind)
    return model.embedding if hasattr(model, "n_relations") else model.embedding()


def cmd_compare(args) -> int:
    """The words whose neighbourhoods changed most between two embeddings: the Compare view's table."""
    from embedstudio.jobs.compare import compare_job

    a = load_embedding(args.a, args.drop_bad_rows)
    b = load_embedding(args.b, args.drop_bad_rows)
    finished, result = run_job(compare_job(a, b, args.a, args.b, k=args.k, limit=args.limit or None))
    if not finished:
        return 130
    print(f"{len(result.words):,} shared words compared (A has {result.only_a:,} more, B {result.only_b:,}); "
          f"{result.k} nearest neighbours each; maps aligned in {result.aligned_in}")
    print("rank\tword\toverlap\tneighbours in A\tneighbours in B")
    for rank, (word, overlap, in_a, in_b) in enumerate(result.table(args.top, args.shown), 1):
        print(f"{rank}\t{word}\t{overlap:.3f}\t{in_a}\t{in_b}")
    return 0
