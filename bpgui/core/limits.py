"""The documented limits: the largest network, data and file bpgui supports, in one place.

Each limit holds for every command and for the window in bounded time and memory; ``bench/bench_limits.py``
measures them all on documents at the limits (the figures are in ``bench/README.md``). The engine stores dense
matrices (every neuron × every earlier neuron) and, per sample, one value per neuron in a few arrays, so memory
grows with neurons² and with neurons × points: the limits keep both to a few hundred megabytes.
"""

#: neurons in a network (inputs and outputs included)
MAX_NEURONS = 1_000
#: edges in a network (the canvas draws each one: 20,000 took the window 28 s and 1.8 GB to open)
MAX_EDGES = 5_000
#: layers in a network (inputs and outputs included)
MAX_LAYERS = 1_000
#: samples in a data set (a generator's n; the rows of a table, training and test together)
MAX_POINTS = 100_000
#: numbers in a literal data table (rows × (inputs + targets)); the largest table still saves well under
#: MAX_FILE_BYTES
MAX_TABLE_VALUES = 1_000_000
#: samples × neurons: the size of each per-sample array the engine keeps (about 40 MB each at the limit)
MAX_NEURON_POINTS = 5_000_000
#: the largest document file bpgui reads, and so the largest it writes
MAX_FILE_BYTES = 32 * 1024 * 1024
