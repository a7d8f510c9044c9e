"""The window's workflows, one file each. The shell builds every class in :data:`WORKFLOWS`, in this
order (which is also the order of their docks, views and menu actions); adding a workflow is adding
its file and one line here (or :func:`register` from elsewhere, before the window is made)."""

from __future__ import annotations

from embedstudio.app.workflows.base import LEFT, MAP, RIGHT, TrainingWorkflow, Workflow
from embedstudio.app.workflows.bias import BiasWorkflow
from embedstudio.app.workflows.evaluation import EvaluationWorkflow
from embedstudio.app.workflows.extrinsic import ExtrinsicWorkflow
from embedstudio.app.workflows.graph import GraphWorkflow
from embedstudio.app.workflows.poincare import PoincareWorkflow
from embedstudio.app.workflows.starspace import StarSpaceWorkflow
from embedstudio.app.workflows.word2vec import Word2VecWorkflow

WORKFLOWS: list[type[Workflow]] = [
    Word2VecWorkflow,
    PoincareWorkflow,
    GraphWorkflow,
    StarSpaceWorkflow,
    EvaluationWorkflow,
    ExtrinsicWorkflow,
    BiasWorkflow,
]


def register(workflow_class: type[Workflow]) -> type[Workflow]:
    """Add a workflow to every window made from now on (usable as a class decorator)."""
    if any(w.name == workflow_class.name for w in WORKFLOWS):
        raise ValueError(f"a workflow named {workflow_class.name!r} is already registered")
    WORKFLOWS.append(workflow_class)
    return workflow_class


__all__ = ["LEFT", "MAP", "RIGHT", "TrainingWorkflow", "Workflow", "WORKFLOWS", "register"]
