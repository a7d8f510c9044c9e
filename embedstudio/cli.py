"""Headless command line: train, poincare, graph and starspace (here), and the commands that explore and
audit what they made (predict, links, extrinsic, fusion, pbg-export, pbg-import, audit, evaluate, compare,
neighbors, analogy, export: :mod:`embedstudio.cli_tools`), demo.

Every option of a trainer is generated from its config dataclass (help, bounds, choices), so the
CLI, the app's training form and the config checks never disagree.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from embedstudio import __version__
from embedstudio.data.errors import DataFormatError
from embedstudio.text import count

DEMO_WORDS = ("war", "president", "economy", "america", "money", "freedom", "congress", "january", "children", "oil")


# ---------------------------------------------------------------------------------------- helpers
class ProgressBar:
    """A one-line progress bar on stderr with ETA, rate and loss; redrawn at most 10 times a second."""

    def __init__(self, stream=None, width: int = 28, unit: str = "words"):
        self.stream = stream or sys.stderr
        self.width = width
        self.unit = unit
        self._last = 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, p, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (0.1 if self._tty else 5.0):
            return
        self._last = now
        filled = int(self.width * p.fraction)
        eta = p.eta_s
        eta_text = "--:--" if eta is None else _clock(eta)
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {100 * p.fraction:5.1f}%  "
                f"epoch {p.epoch + 1}/{p.epochs}  loss {p.loss:.4f}  {p.items_per_s / 1000:,.0f}k {self.unit}/s  "
                f"lr {p.learning_rate:.5f}  ETA {eta_text}")
        self.stream.write(("\r" + line) if self._tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _field_type(field: dataclasses.Field):
    text = str(field.type)
    for name, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if name in text:
            return typ
    return str


def add_config_arguments(parser: argparse.ArgumentParser, config_class, skip: set[str] = frozenset()) -> None:
    """One option per config field, with its help, bounds and choices."""
    for field in dataclasses.fields(config_class):
        if field.name in skip:
            continue
        meta = field.metadata
        flag = "--" + field.name.replace("_", "-")
        typ = _field_type(field)
        help_text = meta.get("help", "")
        bounds = [f">= {meta['low']}" if meta.get("low") is not None else "",
                  f"<= {meta['high']}" if meta.get("high") is not None else ""]
        bounds = ", ".join(b for b in bounds if b)
        help_text += f" (default {field.default}{'; ' + bounds if bounds else ''})"
        if typ is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=typ, default=None, choices=meta.get("choices"), help=help_text,
                                metavar=None if meta.get("choices") else field.name.upper())


def config_from_args(config_class, args: argparse.Namespace, **overrides):
    values = {}
    for field in dataclasses.fields(config_class):
        value = getattr(args, field.name, None)
        if value is not None:
            values[field.name] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    return config_class(**values)


def output_format(path: str, explicit: str | None) -> str:
    from embedstudio.data.vectors_io import format_for_path

    try:
        return format_for_path(path, explicit)
    except ValueError as e:
        raise SystemExit(f"{e} with --format") from None


def note_input(path: str) -> None:
    """Say on stderr what a user should know about an input before it is read (a misnamed compression)."""
    from embedstudio.data.sniff import misnamed_compression

    notice = misnamed_compression(path)
    if notice:
        sys.stderr.write(f"note: {notice}\n")


def load_vectors(path: str, drop_bad_rows: bool = False):
    """A vectors file; rows with NaN/inf or a repeated key are refused, or with ``drop_bad_rows`` skipped
    and reported on stderr."""
    from embedstudio.data.vectors_io import dropped_summary, read_vectors

    note_input(path)
    embedding = read_vectors(path, bad_rows="drop" if drop_bad_rows else "error")
    summary = dropped_summary(embedding)
    if summary:
        sys.stderr.write(f"{path}: {summary}\n")
    return embedding


def save_vectors(embedding, path: str, fmt: str) -> None:
    from embedstudio.data.vectors_io import write_vectors

    write_vectors(embedding, path, fmt)


def _read_corpus(path: str, cfg, lowercase: bool, out=sys.stderr):
    from embedstudio.data.corpus import TokenizerOptions, read_corpus

    started = time.monotonic()
    last = [0.0]

    def progress(done, total):
        now = time.monotonic()
        if now - last[0] > 1.0 and total:
            last[0] = now
            out.write(f"\rreading corpus: {100 * done / total:5.1f}%")
            out.flush()

    corpus = read_corpus(path, min_count=cfg.min_count, max_vocab=cfg.max_vocab,
                         options=TokenizerOptions(lowercase=lowercase), progress=progress)
    out.write(f"\rread {corpus.n_tokens:,} tokens in {corpus.n_sentences:,} sentences; vocabulary "
              f"{len(corpus.vocab.words):,} words (min_count {cfg.min_count}) in {time.monotonic() - started:.1f}s\n")
    return corpus


def run_job(job, mailbox=None, bar: ProgressBar | None = None, checkpoint_path: str | None = None,
            checkpoint_every_s: float | None = None):
    """Pull a job (one of :mod:`embedstudio.jobs`, the generators the window runs) to its end, printing what
    the window draws: a progress bar for training steps, a line for each note. Returns (finished, result).

    ``mailbox`` (the job's CheckpointMailbox) saves ``checkpoint_path`` every ``checkpoint_every_s`` and on
    Ctrl-C; finished is then False. The first Ctrl-C only sets a flag, acted on at the job's next step: a
    KeyboardInterrupt raised inside numba's compiler (the first step of a run on a cold cache) can be
    swallowed there, and one raised in the middle of a step would save a checkpoint of no progress. A second
    Ctrl-C stops at once.
    """
    import signal
    import threading

    from embedstudio.train.base import TrainingDiverged

    bar = bar or ProgressBar()
    if mailbox is not None:
        mailbox.begin_run(checkpoint_path, checkpoint_every_s or 0.0)
    p = None
    interrupted = threading.Event()

    def on_sigint(_signum, _frame):
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    from embedstudio.jobs.stage import Stage

    previous, last_stage = None, None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        while True:
            try:
                item = next(job)
            except StopIteration as done:
                if p is not None:
                    bar.update(p, force=True)
                bar.close()
                return True, done.value
            if isinstance(item, str):
                sys.stderr.write(item + "\n")
                continue
            if isinstance(item, Stage):  # a staged job (a comparison, a map): its steps, each once
                if item.text != last_stage:
                    sys.stderr.write(item.text + "\n")
                    last_stage = item.text
                continue
            p = item[0]
            if interrupted.is_set():
                raise KeyboardInterrupt
            bar.update(p)
    except TrainingDiverged as e:
        bar.close()
        kept = mailbox.kept_note() if mailbox is not None else ""
        hint = f"{kept}: resume it with a lower learning rate and --resume" if kept else "there was no checkpoint yet"
        raise TrainingDiverged(f"{e}; {hint}") from None
    except KeyboardInterrupt:
        bar.close()
        if not checkpoint_path or mailbox is None:
            sys.stderr.write("\ninterrupted (no checkpoint path given)\n")
        elif mailbox.save_now(checkpoint_path):
            sys.stderr.write(f"\ninterrupted: checkpoint saved to {checkpoint_path}; "
                             f"continue with the same command and --resume {checkpoint_path}\n")
        else:  # a second Ctrl-C stopped the step itself: its state is not a consistent one
            sys.stderr.write("\ninterrupted in the middle of a step: no checkpoint saved\n")
        job.close()
        return False, None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def training_mailbox(resume_path: str | None):
    """A job's checkpoint mailbox, holding the checkpoint of ``--resume`` if one was given."""
    from embedstudio.jobs.live import CheckpointMailbox
    from embedstudio.train.base import Checkpoint

    mailbox = CheckpointMailbox()
    mailbox.resume = Checkpoint.load(resume_path) if resume_path else None
    return mailbox


# ---------------------------------------------------------------------------------------- commands
def _losses(info: dict) -> str:
    """The loss by epoch as the panels print it: the fixed-sample objective where the trainer scores one."""
    from embedstudio.train.base import objective_summary

    return objective_summary(info)


def cmd_train(args) -> int:
    from embedstudio.data.sniff import detect
    from embedstudio.jobs.word2vec import word2vec_job
    from embedstudio.train.word2vec import Word2VecConfig

    cfg = config_from_args(Word2VecConfig, args)
    fmt = output_format(args.output, args.format)
    kind = detect(args.corpus)
    if kind == "edgelist":
        raise DataFormatError(args.corpus, None, "this looks like an edge list, not a text corpus: train it with "
                              "`embedstudio graph` (or `embedstudio poincare` for a child<TAB>parent hierarchy)")
    if kind != "corpus":
        raise DataFormatError(args.corpus, None, f"this looks like {kind} vectors, not a text corpus: "
                              "train reads plain text (.txt, .gz, .bz2 or a folder)")
    note_input(args.corpus)
    corpus = _read_corpus(args.corpus, cfg, lowercase=not args.keep_case)
    mailbox = training_mailbox(args.resume)
    sys.stderr.write(f"training word2vec ({cfg.method}, {count(cfg.dim, 'dimension')}, {count(cfg.epochs, 'epoch')}, "
                     f"{count(cfg.threads, 'thread')})\n")
    finished, result = run_job(word2vec_job(corpus, cfg, mailbox, live_map=False), mailbox, ProgressBar(),
                               args.checkpoint or (args.output + ".ckpt"), args.checkpoint_every)
    if not finished:
        return 130
    embedding, _ = result
    save_vectors(embedding, args.output, fmt)
    print(f"wrote {count(len(embedding), 'vector')} of {count(embedding.dim, 'dimension')} to {args.output} ({fmt}); "
          f"{_losses(embedding.info)}")
    return 0


def cmd_poincare(args) -> int:
    from embedstudio.analysis.hierarchy import reconstruction
    from embedstudio.data.hierarchy import read_hierarchy
    from embedstudio.jobs.poincare import poincare_job
    from embedstudio.train.poincare import PoincareConfig

    cfg = config_from_args(PoincareConfig, args)
    fmt = output_format(args.output, args.format)
    note_input(args.hierarchy)
    hierarchy = read_hierarchy(args.hierarchy, closure=args.closure)
    sys.stderr.write(f"read {hierarchy.n_nodes:,} nodes and {hierarchy.n_edges:,} edges"
                     f"{' (transitive closure taken)' if args.closure else ''}\n")
    mailbox = training_mailbox(args.resume)
    finished, embedding = run_job(poincare_job(hierarchy, cfg, mailbox, live=False), mailbox,
                                  ProgressBar(unit="edges"), args.checkpoint or (args.output + ".ckpt"),
                                  args.checkpoint_every)
    if not finished:
        return 130
    save_vectors(embedding, args.output, fmt)
    result = reconstruction(embedding.vectors, hierarchy, max_nodes=args.eval_nodes)
    print(f"wrote {count(len(embedding), 'Poincaré vector')} of {count(embedding.dim, 'dimension')} to {args.output} "
          f"({fmt}); "
          f"reconstruction: mean rank {result.mean_rank:.2f}, MAP {result.map:.3f}")
    order = np.argsort(np.linalg.norm(embedding.vectors, axis=1))
    print("most general: " + ", ".join(hierarchy.names[i] for i in order[:8]))
    print("most specific: " + ", ".join(hierarchy.names[i] for i in order[-8:][::-1]))
    return 0


def cmd_graph(args) -> int:
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.jobs.graph import MIN_EDGES_TO_HOLD_OUT, graph_job
    from embedstudio.train.graph import GraphConfig

    cfg = config_from_args(GraphConfig, args)
    note_input(args.edges)
    graph = read_edgelist(args.edges)
    sys.stderr.write(f"read {count(graph.n_entities, 'entity')} of {count(graph.n_types, 'type')}, "
                     f"{count(graph.n_relations, 'relation')}, {count(graph.n_edges, 'edge')}\n")
    if args.test > 0 and graph.n_edges < MIN_EDGES_TO_HOLD_OUT:
        sys.stderr.write(f"fewer than {MIN_EDGES_TO_HOLD_OUT} edges: none held out for link prediction\n")
    mailbox = training_mailbox(args.resume)
    job = graph_job(graph, cfg, mailbox, test_fraction=args.test, protocols=("filtered", "raw", "sampled"),
                    eval_edges=args.eval_edges, work_dir=args.work_dir, live_map=False)
    finished, result = run_job(job, mailbox, ProgressBar(unit="edges"), args.checkpoint or (args.output + ".ckpt"),
                               args.checkpoint_every)
    if not finished:
        return 130
    model = result.model
    model.save(args.output)
    print(f"wrote the graph model ({count(len(model.embedding), 'entity')} of {count(model.dim, 'dimension')}, "
          f"{count(model.n_relations, 'relation')}, "
          f"{cfg.operator}/{cfg.comparator}) to {args.output}; {_losses(model.info)}")
    write_entity_vectors(model, args)
    for scores in result.scores.values():
        print(f"held-out {len(result.test_edges):,} edges, {scores.table()}")
    return 0


def write_entity_vectors(model, args) -> None:
    """--vectors: the graph model's entity vectors in any vectors format."""
    if args.vectors:
        fmt = output_format(args.vectors, args.format)
        save_vectors(model.embedding, args.vectors, fmt)
        print(f"wrote the entity vectors to {args.vectors} ({fmt})")


def cmd_starspace(args) -> int:
    from embedstudio.data.labelled import read_labelled, read_user_items
    from embedstudio.jobs.starspace import starspace_job
    from embedstudio.train.starspace import StarSpaceConfig

    cfg = config_from_args(StarSpaceConfig, args)
    note_input(args.data)
    test_docs = None
    if cfg.mode == "tagspace":
        data = read_labelled(args.data, tokenizer=args.tokenizer)
        sys.stderr.write(f"read {data.summary()}\n")
        if args.test_file:
            test_docs = read_labelled(args.test_file, tokenizer=args.tokenizer, words=data.words, labels=data.labels)
    else:
        data = read_user_items(args.data)
        sys.stderr.write(f"read {data.summary()}\n")
    mailbox = training_mailbox(args.resume)
    started = time.monotonic()
    unit = "documents" if cfg.mode == "tagspace" else "users"
    job = starspace_job(data, cfg, mailbox, test_fraction=args.test, test_docs=test_docs, live_map=False)
    finished, result = run_job(job, mailbox, ProgressBar(unit=unit), args.checkpoint or (args.output + ".ckpt"),
                               args.checkpoint_every)
    if not finished:
        return 130
    wall = time.monotonic() - started
    model = result.model
    model.save(args.output)
    print(f"wrote the {cfg.mode} model ({count(len(model.words), 'word')}, "
          f"{count(len(model.labels), 'label' if cfg.mode == 'tagspace' else 'item')}, "
          f"{count(model.dim, 'dimension')}) to {args.output} "
          f"in {wall:.1f}s; {_losses(model.info)}")
    if args.vectors:
        fmt = output_format(args.vectors, args.format)
        save_vectors(model.embedding(), args.vectors, fmt)
        print(f"wrote every vector (words and labels) to {args.vectors} ({fmt})")
    m = result.scores
    if m is not None and cfg.mode == "tagspace":
        print(f"held-out {m['documents']:,} documents: P@1 {m['hits@1']:.4f}  hits@10 {m['hits@10']:.4f}  "
              f"P@5 {m['precision@5']:.4f}  R@5 {m['recall@5']:.4f}  mean rank {m['mean_rank']:.2f}  "
              f"MRR {m['mrr']:.4f}")
    elif m is not None:
        for name, scores in (("ours", m), ("popularity", result.baseline)):
            print(f"held-out item of {scores['users']:,} users, {name:>10}: recall@1 {scores['recall@1']:.4f}  "
                  f"recall@10 {scores['recall@10']:.4f}  recall@50 {scores['recall@50']:.4f}  "
                  f"mean rank {scores['mean_rank']:.1f}")
    return 0


def sample_corpus_path() -> Path:
    from embedstudio.resources import resource

    found = sorted(resource("sample").glob("*.txt.gz"))
    if not found:
        raise SystemExit("the bundled sample corpus is missing from resources/sample/")
    return found[0]


def cmd_demo(args) -> int:
    from embedstudio.analysis.evaluate import evaluate_analogies
    from embedstudio.resources import resource
    from embedstudio.jobs.live import CheckpointMailbox
    from embedstudio.jobs.word2vec import word2vec_job
    from embedstudio.train.word2vec import Word2VecConfig

    corpus_path = sample_corpus_path()
    print(f"EmbedStudio {__version__} demo: word2vec on the bundled sample corpus {corpus_path.name}")
    cfg = Word2VecConfig(method=args.method, epochs=args.epochs, threads=args.threads or Word2VecConfig().threads)
    corpus = _read_corpus(str(corpus_path), cfg, lowercase=True)
    started = time.monotonic()
    finished, result = run_job(word2vec_job(corpus, cfg, CheckpointMailbox(), live_map=False))
    if not finished:
        return 130
    wall = time.monotonic() - started
    embedding, _ = result
    print(f"trained {cfg.method} in {wall:.1f}s ({cfg.epochs * corpus.n_tokens / wall / 1000:,.0f}k words/s); "
          f"{_losses(embedding.info)}")
    for name in ("questions-sample.txt", "questions-words.txt"):
        path = resource("eval", name)
        if path.exists():
            result = evaluate_analogies(embedding, str(path), restrict_vocab=30000)
            print(f"analogies ({name}): {100 * result.accuracy:.1f}% of {result.total:,} answered questions "
                  f"(coverage {100 * result.coverage:.1f}%)")
    print("nearest neighbours:")
    for word in DEMO_WORDS:
        if word in embedding:
            print(f"  {word:>10}: " + ", ".join(k for k, _ in embedding.most_similar(word, topn=8)))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    embedding.save(out / "vectors.npz")
    save_vectors(embedding, str(out / "vectors.bin"), "word2vec-binary")
    print(f"vectors written to {out / 'vectors.npz'} (EmbedStudio) and {out / 'vectors.bin'} (word2vec binary)")
    return 0


# ---------------------------------------------------------------------------------------- parser
def drop_bad_rows_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drop-bad-rows", action="store_true",
                        help="skip vectors holding NaN or infinite values and repeated keys (keeping a key's "
                             "first row) instead of refusing the file; what was skipped is listed on stderr")


def build_parser() -> argparse.ArgumentParser:
    from embedstudio.cli_tools import (cmd_predict, cmd_extrinsic, cmd_fusion, cmd_links, cmd_pbg_export, cmd_pbg_import, cmd_audit, cmd_evaluate, cmd_neighbors, cmd_analogy, cmd_export, cmd_compare)
    from embedstudio.train.graph import GraphConfig
    from embedstudio.train.poincare import PoincareConfig
    from embedstudio.train.starspace import StarSpaceConfig
    from embedstudio.train.word2vec import Word2VecConfig

    parser = argparse.ArgumentParser(prog="embedstudio", description="Train, explore and audit embeddings.")
    parser.add_argument("--version", action="version", version=f"EmbedStudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def training_command(name: str, data: str, help_text: str, output_help: str, config_class, func):
        """A training sub-command: its data, output and checkpoint options, and the config's fields."""
        p = sub.add_parser(name, help=help_text)
        p.add_argument(data)
        p.add_argument("-o", "--output", required=True, help=output_help)
        p.add_argument("--format", help="output format (default: from the extension)")
        p.add_argument("--checkpoint", help="checkpoint file (default: OUTPUT.ckpt); Ctrl-C saves it")
        p.add_argument("--checkpoint-every", type=float, default=None, metavar="SECONDS",
                       help="also save the checkpoint this often")
        p.add_argument("--resume", help="continue from this checkpoint")
        add_config_arguments(p, config_class)
        p.set_defaults(func=func)
        return p

    p = training_command("train", "corpus", "train word2vec on a text corpus (.txt, .gz, .bz2 or a folder)",
                         "vectors file (.npz, .bin, .txt, .vec, .tsv)", Word2VecConfig, cmd_train)
    p.add_argument("--keep-case", action="store_true", help="do not lower-case the text")
    p = training_command("poincare", "hierarchy", "Poincaré embeddings of a hierarchy (child<TAB>parent edge list)",
                         "vectors file (.npz keeps the Poincaré geometry)", PoincareConfig, cmd_poincare)
    p.add_argument("--closure", action="store_true", help="take the transitive closure of the edges first")
    p.add_argument("--eval-nodes", type=int, default=None, help="evaluate a sample of this many nodes (big graphs)")

    p = training_command("graph", "edges", "graph embeddings of an edge list (head [relation] tail [weight])",
                         "graph model file (.esgraph): vectors and relation operators", GraphConfig, cmd_graph)
    p.add_argument("--test", type=float, default=0.05, help="share of edges held out for link prediction (0: none)")
    p.add_argument("--vectors", help="also write the entity vectors (.npz, .bin, .txt, .vec, .tsv)")
    p.add_argument("--eval-edges", type=int, default=None, help="evaluate a sample of the held-out edges")
    p.add_argument("--work-dir", default=None, help="folder for partition files (partitions > 1)")

    p = training_command("starspace", "data", "StarSpace: TagSpace (labelled documents) or PageSpace (user -> items)",
                         "model file (.esspace)", StarSpaceConfig, cmd_starspace)
    p.add_argument("--test", type=float, default=0.1,
                   help="held out for evaluation: a share of documents, or of users losing one item (0: none)")
    p.add_argument("--test-file", help="tagspace: evaluate on this labelled file instead of a split")
    p.add_argument("--tokenizer", choices=("whitespace", "words"), default="whitespace",
                   help="whitespace: as fastText reads (default); words: lower-cased Unicode words")
    p.add_argument("--vectors", help="also write every vector, labels as __label__name (.npz, .vec, .tsv ...)")

    p = sub.add_parser("predict", help="labels for a text, or items for a user's items, with a StarSpace model")
    p.add_argument("model")
    p.add_argument("query", nargs="*", help="words (tagspace) or items (pagespace)")
    p.add_argument("--similar", metavar="LABEL", help="nearest labels/items of this one instead")
    p.add_argument("-n", "--topn", type=int, default=10)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("extrinsic", help="the same classifier on each embedding's features: accuracy and F1 with CIs")
    p.add_argument("data", help="labelled documents (__label__ or a table), or node<TAB>label lines with --nodes")
    p.add_argument("vectors", nargs="+", help="two or more vectors files to compare")
    p.add_argument("--nodes", action="store_true", help="node classification: DATA holds node<TAB>label")
    p.add_argument("--label-prefix", default="", help="the class is the first label starting with this (e.g. role::)")
    p.add_argument("--tokenizer", choices=("whitespace", "words"), default="whitespace")
    p.add_argument("--model", choices=("logreg", "mlp"), default="logreg")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also save the result (JSON)")
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_extrinsic)

    p = sub.add_parser("fusion", help="text vectors, media features and both, in one MLP (VideoSpace-style)")
    p.add_argument("data", help="a labelled table with an id column (id<TAB>label<TAB>text)")
    p.add_argument("--text-vectors", required=True, help="word vectors for the text")
    p.add_argument("--media", required=True, help="features by id: CSV/TSV (id,f1,f2,...), .npz (keys, features) or .npy + .keys.txt")
    p.add_argument("--label-prefix", default="")
    p.add_argument("--tokenizer", choices=("whitespace", "words"), default="whitespace")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also save the result (JSON)")
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_fusion)

    p = sub.add_parser("links", help="predict links with a graph model: tails of (entity, r, ?) or heads")
    p.add_argument("model")
    p.add_argument("entity")
    p.add_argument("-r", "--relation", help="one relation (default: all)")
    p.add_argument("--heads", action="store_true", help="heads of (?, r, entity) instead of tails")
    p.add_argument("-n", "--topn", type=int, default=10)
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("pbg-export", help="write an edge list as PyTorch-BigGraph input (buckets, names, config)")
    p.add_argument("edges")
    p.add_argument("folder")
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--test", type=float, default=0.0, help="leave out this share of edges (the same seeded split as graph)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a PBG config value, e.g. dimension=200")
    p.add_argument("--machines", type=int, default=1,
                   help="train on this many machines with PBG's distributed mode (needs --init and at least "
                        "2 x machines partitions); writes run-rank.sh and HOW-TO-RUN.txt")
    p.add_argument("--init", metavar="tcp://HOST:PORT",
                   help="with --machines: the address rank 0's machine serves and every machine can reach")
    p.add_argument("--interface", metavar="NAME",
                   help="with --machines: the network interface gloo uses (GLOO_SOCKET_IFNAME; default lo for a "
                        "loopback --init, else gloo's choice)")
    p.add_argument("--check-init-here", action="store_true",
                   help="with --machines: also check that this machine can serve --init (export on rank 0's machine)")
    p.set_defaults(func=cmd_pbg_export)

    p = sub.add_parser("pbg-import", help="read a PyTorch-BigGraph checkpoint into a graph model")
    p.add_argument("checkpoint", help="PBG's checkpoint folder, or a folder written by pbg-export")
    p.add_argument("-o", "--output", required=True, help="graph model file (.esgraph)")
    p.add_argument("--vectors", help="also write the entity vectors")
    p.add_argument("--format", help="vectors format (default: from the extension)")
    p.add_argument("--version", type=int, default=None, help="checkpoint version (default: the latest)")
    p.add_argument("--entity-path", default=None, help="where entity_names_*.json are, if the config's path moved")
    p.set_defaults(func=cmd_pbg_import)

    p = sub.add_parser("audit", help="bias audit of vectors: direction, WEAT, debiasing, an HTML report")
    p.add_argument("vectors")
    p.add_argument("--preset", default="gender", help="a bundled preset (gender) or a preset JSON file")
    p.add_argument("--debias", choices=("hard", "projection", "none"), default="hard")
    p.add_argument("--report", default="audit.html", help="HTML report (the numbers also go to a .json beside it)")
    p.add_argument("--json", default=None, help="where the JSON goes (default: beside the report)")
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("evaluate", help="analogy accuracy and word-similarity correlation")
    p.add_argument("vectors")
    p.add_argument("--analogies", action="append", help="questions-words style file (default: the bundled Google set)")
    p.add_argument("--similarity", action="append", help="word-pair similarity file (WordSim353, SimLex-999 style)")
    p.add_argument("--restrict-vocab", type=int, default=30000)
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd")
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("compare", help="two embeddings over their shared words: whose neighbourhoods changed most")
    p.add_argument("a", help="vectors or a model file")
    p.add_argument("b", help="vectors or a model file")
    p.add_argument("-k", type=int, default=10, help="nearest neighbours compared per word (default 10)")
    p.add_argument("--limit", type=int, default=10000,
                   help="compare the first N shared words, in A's order (most frequent first; 0: all; default 10000)")
    p.add_argument("--top", type=int, default=20, help="rows of the table (default 20)")
    p.add_argument("--shown", type=int, default=5, help="neighbours listed per side (default 5)")
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("neighbors", help="nearest neighbours of words")
    p.add_argument("vectors")
    p.add_argument("words", nargs="+")
    p.add_argument("-n", "--topn", type=int, default=10)
    p.add_argument("--restrict-vocab", type=int, default=None)
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_neighbors)

    p = sub.add_parser("analogy", help="a : b :: c : ?")
    p.add_argument("vectors")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("c")
    p.add_argument("-n", "--topn", type=int, default=5)
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd")
    p.add_argument("--restrict-vocab", type=int, default=None)
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_analogy)

    p = sub.add_parser("export", help="convert vectors to another format")
    p.add_argument("vectors")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--format", help="word2vec-text, word2vec-binary, glove, fasttext-vec, projector-tsv, embedstudio")
    p.add_argument("--metadata", help="projector-tsv: also write this metadata TSV")
    p.add_argument("--limit", type=int, help="only the first N (most frequent) vectors")
    drop_bad_rows_option(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("demo", help="train on the bundled sample corpus, evaluate, show neighbours")
    p.add_argument("--out", default="embedstudio-demo", help="folder for the vectors (default: ./embedstudio-demo)")
    p.add_argument("--method", choices=("sgns", "cbow"), default="sgns")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=cmd_demo)
    return parser


COMMANDS = ("train", "poincare", "graph", "links", "starspace", "predict", "extrinsic", "fusion", "pbg-export", "pbg-import", "audit", "evaluate", "compare",
            "neighbors",
            "analogy", "export", "demo")
"""The sub-commands, without building the parser (which imports every trainer): the window's entry
point asks this at start-up. A test keeps it equal to the parser's."""


def command_names() -> list[str]:
    """Every sub-command the parser defines (the slow, authoritative list)."""
    parser = build_parser()
    return [name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except DataFormatError as e:
        from embedstudio.data.vectors_io import BadRowsError

        hint = " (with --drop-bad-rows)" if isinstance(e, BadRowsError) else ""
        print(f"embedstudio: {e}{hint}", file=sys.stderr)
        return 2
    except FloatingPointError as e:  # TrainingDiverged: nothing broken was written
        print(f"embedstudio: training diverged: {e}", file=sys.stderr)
        return 3
    except (ValueError, KeyError, FileNotFoundError) as e:
        print(f"embedstudio: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
