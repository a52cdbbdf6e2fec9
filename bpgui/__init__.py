"""bpgui: a desktop sandbox for gradient descent and backpropagation."""

__version__ = "0.1.0"
