"""bpgui's model and maths: NumPy only, no Qt (a test checks that importing it loads no Qt module)."""

from .activations import ACTIVATION_NAMES, ACTIVATIONS
from .datasets import GENERATOR_NAMES, DataError, Dataset, generate, table
from .document import (
    Document,
    DocumentError,
    GeneratorData,
    TableData,
    TrainingConfig,
    load_document,
    parse_document,
    save_document,
)
from .engine import Engine, Evaluation
from .gradcheck import numeric_gradient
from .losses import LOSS_NAMES, LOSSES
from .network import Network, NetworkError, Neuron, bias_name, layered, parse_parameter_name, weight_name
from .optimizers import HYPERPARAMETERS, OPTIMIZER_NAMES, make_optimizer
from .training import Trainer

__all__ = [
    "ACTIVATIONS", "ACTIVATION_NAMES", "DataError", "Dataset", "Document", "DocumentError", "Engine",
    "Evaluation", "GENERATOR_NAMES", "GeneratorData", "HYPERPARAMETERS", "LOSSES", "LOSS_NAMES", "Network",
    "NetworkError", "Neuron", "OPTIMIZER_NAMES", "TableData", "Trainer", "TrainingConfig", "bias_name",
    "generate", "layered", "load_document", "make_optimizer", "numeric_gradient",
    "parse_document", "parse_parameter_name", "save_document", "table", "weight_name",
]
