"""The network document: the malformed-document corpus, round trips and atomic saves."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpgui import cli
from bpgui.core import document as document_module
from bpgui.core.activations import ACTIVATIONS
from bpgui.core.datasets import GENERATORS, MAX_POINTS
from bpgui.core.document import (
    MAX_LEARNING_RATE,
    MAX_SEED,
    Document,
    DocumentError,
    GeneratorData,
    TableData,
    TrainingConfig,
    dumps,
    load_document,
    parse_document,
    save_document,
)
from bpgui.core.losses import LOSSES
from bpgui.core.network import layered
from bpgui.core.optimizers import HYPERPARAMETER_RANGES, HYPERPARAMETERS
from bpgui.resources import example_paths

MALFORMED = Path(__file__).parent / "malformed"
EXPECTED: dict[str, str] = json.loads((MALFORMED / "expected.json").read_text(encoding="utf-8"))
CORPUS = sorted(p.name for p in MALFORMED.iterdir() if p.name != "expected.json")

# things a user-facing message must never contain: tracebacks, Python reprs, multi-line text
NOISE = re.compile(r"Traceback|File \"|\n|\r|object at 0x|Error\(|np\.|numpy|array\(|\[Errno|<class|dict_|\bNone\b")


# ---------------------------------------------------------------------------------------------- corpus
def test_corpus_is_large_enough():
    assert len(CORPUS) >= 35


def test_every_corpus_file_has_an_expectation_and_vice_versa():
    assert set(CORPUS) == set(EXPECTED)
    assert all(isinstance(v, str) and v for v in EXPECTED.values())


@pytest.mark.parametrize("name", CORPUS)
def test_malformed_document_is_rejected_with_a_message_naming_the_place(name):
    with pytest.raises(DocumentError) as info:
        load_document(MALFORMED / name)
    message = str(info.value)
    assert EXPECTED[name] in message
    assert not NOISE.search(message), message
    assert len(message) < 300, message
    assert message == message.strip()
    # parsing the text directly (without the file layer) finds the same problem
    raw = (MALFORMED / name).read_bytes()
    if raw.strip() and name not in ("binary_not_utf8.json", "latin1_encoded.json"):
        with pytest.raises(DocumentError) as info:
            parse_document(raw.decode("utf-8"))
        assert str(info.value) == message


@pytest.mark.parametrize("name", CORPUS)
def test_cli_inspect_reports_a_malformed_document_in_one_line(name, capsys):
    path = str(MALFORMED / name)
    status = cli.main(["inspect", path])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.startswith(f"bpgui: error: {path}: "), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert EXPECTED[name] in err


def test_loading_a_missing_file_or_a_folder_says_so(tmp_path):
    with pytest.raises(DocumentError, match="^no such file$"):
        load_document(tmp_path / "nope.json")
    with pytest.raises(DocumentError, match="^is a folder, not a file$"):
        load_document(tmp_path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    text = example_paths()["xor"].read_text(encoding="utf-8")
    p = tmp_path / "bom.json"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_document(p).to_json() == text


def test_a_document_at_the_depth_limit_loads_and_one_deeper_does_not():
    base = json.loads(example_paths()["xor"].read_text(encoding="utf-8"))

    def with_view_depth(levels: int) -> str:
        v: dict = {}
        for _ in range(levels - 1):
            v = {"a": v}
        return json.dumps({**base, "view": v})

    # the document is level 1 and the view level 2, so a view of depth 15 reaches level 16
    assert parse_document(with_view_depth(15)).view is not None
    with pytest.raises(DocumentError, match="nested more than 16 levels deep"):
        parse_document(with_view_depth(16))


# ---------------------------------------------------------------------------------------------- round trip
def _same_document(a: Document, b: Document) -> None:
    assert a.network.same_as(b.network)
    assert a.data == b.data
    assert a.training == b.training
    assert a.view == b.view
    assert a == b


@pytest.mark.parametrize("name", sorted(example_paths()))
def test_bundled_example_round_trips_byte_for_byte(name, tmp_path):
    path = example_paths()[name]
    doc = load_document(path)
    text = doc.to_json()
    again = parse_document(text)
    assert again.to_json() == text
    _same_document(doc, again)
    # the bundled files are written in the canonical form
    assert text == path.read_text(encoding="utf-8")
    save_document(doc, tmp_path / "copy.json")
    assert (tmp_path / "copy.json").read_text(encoding="utf-8") == text
    _same_document(doc, load_document(tmp_path / "copy.json"))


AWKWARD_FLOATS = [0.1 + 0.2, 1e-300, -1e-300, 5e-324, -0.0, 0.0, 1 / 3, 2.0**-1074 * 3, 1.7976931348623157e308,
                  -2.2250738585072014e-308, 123456789.123456789, 1e22, 1e16 + 2]
finite = st.floats(allow_nan=False, allow_infinity=False)
awkward = st.one_of(st.sampled_from(AWKWARD_FLOATS), finite, st.integers(-10**6, 10**6))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), finite, st.text(max_size=8))


def json_values(depth: int = 4):
    """Any JSON value nested at most ``depth`` containers deep (the document allows 16 levels in all)."""
    if depth == 0:
        return json_scalars
    inner = st.deferred(lambda: json_values(depth - 1))
    return st.one_of(json_scalars, st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3))


@st.composite
def documents(draw) -> dict:
    """A random valid document as the JSON object a file holds."""
    loss = draw(st.sampled_from(sorted(LOSSES)))
    need = LOSSES[loss].required_output_activation
    use_generator = draw(st.booleans())
    if use_generator:
        generator = draw(st.sampled_from(sorted(GENERATORS)))
        width, kind = GENERATORS[generator][1], GENERATORS[generator][2]
        n_in = width
        n_out = 1 if kind == "regression" else draw(st.sampled_from([1, 2]))
    else:
        n_in = draw(st.integers(1, 4))
        n_out = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(0, 3), max_size=3))  # empty hidden layers are allowed
    sizes = [n_in] + hidden + [n_out]
    out_layer = len(sizes) - 1
    neurons, layer_of = [], {}
    acts = sorted(ACTIVATIONS)
    for layer, size in enumerate(sizes):
        for i in range(size):
            nid = draw(st.sampled_from(["n", "_", "Node", "x"])) + f"{layer}_{i}"
            layer_of[nid] = layer
            if layer == 0:
                neurons.append({"id": nid, "layer": 0})
            else:
                act = need if (layer == out_layer and need) else draw(st.sampled_from(acts))
                neurons.append({"id": nid, "layer": layer, "activation": act, "bias": draw(awkward)})
    neurons = draw(st.permutations(neurons))  # document order need not follow the layers
    pairs = [(a, b) for a in layer_of for b in layer_of if layer_of[a] < layer_of[b]]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=12)) if pairs else []
    edges = [{"from": a, "to": b, "weight": draw(awkward)} for a, b in chosen]
    if use_generator:
        data = {"generator": generator, "n": draw(st.integers(3, 60)),
                "noise": draw(st.one_of(st.sampled_from([0.0, 1e-300, 0.1 + 0.2]), st.floats(0, 10))),
                "test_fraction": draw(st.one_of(st.sampled_from([0.0, 0.5]), st.floats(0, 0.6))),
                "seed": draw(st.integers(0, MAX_SEED))}
    else:
        rows = draw(st.integers(1, 5))
        data = {"inputs": [[draw(awkward) for _ in range(n_in)] for _ in range(rows)],
                "targets": [[draw(awkward) for _ in range(n_out)] for _ in range(rows)]}
    optimizer = draw(st.sampled_from(sorted(HYPERPARAMETERS)))
    training = {"optimizer": optimizer,
                "learning_rate": draw(st.one_of(st.sampled_from([1e-300, 0.1 + 0.2, MAX_LEARNING_RATE]),
                                                st.floats(1e-12, MAX_LEARNING_RATE))),
                "batch_size": draw(st.one_of(st.none(), st.integers(1, MAX_POINTS))),
                "train_biases": draw(st.booleans()),
                "seed": draw(st.integers(0, MAX_SEED))}
    for key in draw(st.lists(st.sampled_from(sorted(HYPERPARAMETER_RANGES)), unique=True)):
        lo, hi, lo_inclusive = HYPERPARAMETER_RANGES[key]
        training[key] = draw(st.floats(lo, hi, exclude_min=not lo_inclusive, exclude_max=True))
    doc = {"format": "bpgui-network", "version": 1, "neurons": neurons, "edges": edges, "loss": loss,
           "data": data, "training": training}
    if draw(st.booleans()):
        doc["view"] = draw(st.dictionaries(st.text(max_size=6), json_values(), max_size=4))
    return doc


def _bits(x: float) -> str:
    return float(x).hex() + ("-" if math.copysign(1.0, x) < 0 else "+")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=documents(), indent=st.sampled_from([None, 0, 2]))
def test_random_documents_round_trip(raw, indent):
    doc = parse_document(json.dumps(raw, indent=indent))
    # every value arrives exactly (bit for bit, so -0.0 stays -0.0)
    net = doc.network
    assert [n.id for n in net] == [n["id"] for n in raw["neurons"]]
    for e in raw["edges"]:
        assert _bits(net.edges[(e["from"], e["to"])]) == _bits(e["weight"])
    for n in raw["neurons"]:
        if n["layer"] > 0:
            assert _bits(net.neurons[n["id"]].bias) == _bits(n["bias"])
            assert net.neurons[n["id"]].activation == n["activation"]
    assert doc.training.learning_rate == raw["training"]["learning_rate"]
    assert doc.training.batch_size == raw["training"]["batch_size"]
    assert doc.training.seed == raw["training"]["seed"]
    assert doc.view == raw.get("view")
    if "inputs" in raw["data"]:
        assert [_bits(v) for r in doc.data.inputs.tolist() for v in r] == \
               [_bits(v) for r in raw["data"]["inputs"] for v in r]
    else:
        assert doc.data == GeneratorData(**raw["data"])

    text = doc.to_json()
    again = parse_document(text)
    assert again.to_json() == text
    _same_document(doc, again)
    assert json.loads(text) == json.loads(again.to_json())

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.json"
        save_document(doc, path)
        assert path.read_bytes() == text.encode("utf-8")
        loaded = load_document(path)
        _same_document(doc, loaded)
        assert loaded.to_json() == text
        assert os.listdir(folder) == ["doc.json"]


def test_dumps_puts_one_neuron_edge_and_row_per_line():
    text = load_document(example_paths()["xor"]).to_json()
    lines = text.splitlines()
    assert '    {"id": "x1", "layer": 0},' in lines
    assert '    {"from": "x1", "to": "h1", "weight": 0.126},' in lines
    assert dumps([]) == "[]" and dumps({}) == "{}"


class Row(list):
    """A table row: written on one line however long it is."""


def reference_dumps(obj, indent: int = 0, width: int = 110) -> str:
    """The layout dumps writes, the plain way (it encodes each value once for every container around it)."""
    flat = json.dumps(obj, allow_nan=False, ensure_ascii=False)
    if isinstance(obj, Row):
        return flat
    if len(flat) + indent <= width or not isinstance(obj, (list, dict)) or not obj:
        return flat
    pad = " " * (indent + 2)
    if isinstance(obj, list):
        items = [pad + reference_dumps(v, indent + 2, width) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    items = [pad + json.dumps(k, ensure_ascii=False) + ": " + reference_dumps(v, indent + 2, width)
             for k, v in obj.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


@settings(max_examples=300, deadline=None)
@given(value=json_values(), indent=st.integers(0, 12), width=st.integers(0, 60))
def test_dumps_lays_out_json_as_the_plain_reference_does(value, indent, width):
    assert dumps(value, indent, width) == reference_dumps(value, indent, width)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(awkward, min_size=1, max_size=12), min_size=1, max_size=30).filter(
    lambda rows: len(set(map(len, rows))) == 1), width=st.integers(0, 120), other=json_values(2))
def test_a_tables_encoded_rows_are_written_as_its_lists_are(rows, width, other):
    """Rows encoded once: the same text as the lists of numbers, but that a row is never split over lines (a
    table stays compact: one number per line made a saved file six times larger, too large to open again)."""
    data = TableData(np.array(rows, dtype=float), np.zeros((len(rows), 1)))
    plain = {"data": {k: [Row(r) for r in v] for k, v in data.to_dict().items()}, "other": other}
    for indent in (0, 6):
        assert dumps({"data": data.to_dict(encoded=True), "other": other}, indent, width) == \
            reference_dumps(plain, indent, width)


def test_a_table_is_encoded_once_for_every_save(monkeypatch, tmp_path):
    doc = load_document(example_paths()["circles"])
    d = doc.dataset()
    doc.data = TableData(d.x_train, d.t_train)
    calls = []
    encode = document_module._encode_rows
    monkeypatch.setattr(document_module, "_encode_rows", lambda a: calls.append(len(a)) or encode(a))
    first = doc.to_json()
    assert calls == [240, 240]  # the inputs and the targets (of the 240 training points)
    save_document(doc, tmp_path / "a.json")
    assert doc.to_json() == first and (tmp_path / "a.json").read_text(encoding="utf-8") == first
    assert calls == [240, 240]
    assert first == reference_dumps(doc.to_dict()) + "\n"
    _same_document(doc, parse_document(first))


@pytest.mark.parametrize("rows, message", [
    ([[0.5, 1], [0.5, "1"]], "data.inputs row 2, value 2 must be a number, not text"),
    ([[0.5, 1], [True, 1]], "data.inputs row 2, value 1 must be a number, not true/false"),
    ([[0.5, 1], [0.5, 10**400]], "data.inputs row 2, value 2 must be a finite number"),
    ([[0.5, 1], [0.5, None]], "data.inputs row 2, value 2 must be a number, not null"),
    ([[0.5, 1], [0.5]], "data.inputs row 2 has 1 values; row 1 has 2"),
    ([[0.5, 1], 7], "data.inputs row 2 must be a list of numbers, not a number"),
    ([[0.5, 1], [0.5, [1]]], "data.inputs row 2, value 2 must be a number, not a list"),
])
def test_a_bad_value_in_a_table_is_named_by_row_and_value(rows, message):
    raw = json.loads(example_paths()["xor"].read_text(encoding="utf-8"))
    raw["data"] = {"inputs": rows, "targets": [[0]] * len(rows)}
    with pytest.raises(DocumentError) as e:
        parse_document(json.dumps(raw))
    assert str(e.value) == message


def test_float_formatting_survives_awkward_values():
    net = layered([1, 1], output_activation="linear")
    net.set_weight("x1", "y1", 0.1 + 0.2)
    net.set_bias("y1", -0.0)
    doc = Document(net, TableData(np.array([[1e-300]]), np.array([[-0.0]])))
    text = doc.to_json()
    assert "0.30000000000000004" in text and "1e-300" in text
    again = parse_document(text)
    assert again.network.weight("x1", "y1") == 0.1 + 0.2
    assert math.copysign(1.0, again.network.neurons["y1"].bias) == -1.0
    assert math.copysign(1.0, again.data.targets[0, 0]) == -1.0


# ---------------------------------------------------------------------------------------------- atomic save
@pytest.fixture
def doc() -> Document:
    return load_document(example_paths()["xor"])


@pytest.fixture
def existing(tmp_path) -> Path:
    p = tmp_path / "net.json"
    p.write_bytes(b"precious old contents\n")
    return p


def _assert_untouched(path: Path) -> None:
    assert path.read_bytes() == b"precious old contents\n"
    assert sorted(os.listdir(path.parent)) == [path.name], "a temporary file was left behind"


def test_save_writes_the_document_and_no_temporary_file(doc, existing):
    save_document(doc, existing)
    assert existing.read_text(encoding="utf-8") == doc.to_json()
    assert sorted(os.listdir(existing.parent)) == [existing.name]


def test_save_keeps_the_permissions_of_the_file_it_replaces(doc, existing):
    os.chmod(existing, 0o640)
    save_document(doc, existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


def test_a_new_file_gets_the_usual_permissions(doc, tmp_path):
    old = os.umask(0o022)
    try:
        save_document(doc, tmp_path / "new.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


def test_failed_rename_leaves_the_old_file_intact(doc, existing, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(DocumentError, match="^cannot save: No space left on device$"):
        save_document(doc, existing)
    _assert_untouched(existing)


def test_failed_fsync_leaves_the_old_file_intact(doc, existing, monkeypatch):
    def fail(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(DocumentError, match="Input/output error"):
        save_document(doc, existing)
    _assert_untouched(existing)


def test_failed_write_of_a_new_file_leaves_nothing(doc, tmp_path, monkeypatch):
    def fail(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(DocumentError):
        save_document(doc, tmp_path / "new.json")
    assert os.listdir(tmp_path) == []


def test_saving_into_a_read_only_folder_fails_cleanly(doc, existing):
    folder = existing.parent
    os.chmod(folder, 0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions (root)")
        with pytest.raises(DocumentError, match="permission denied|Permission denied"):
            save_document(doc, existing)
    finally:
        os.chmod(folder, 0o755)
    _assert_untouched(existing)


def test_saving_over_a_folder_fails_and_leaves_it_alone(doc, tmp_path):
    target = tmp_path / "folder.json"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(DocumentError, match="folder"):
        save_document(doc, target)
    assert target.is_dir() and os.listdir(target) == ["inside"]
    assert os.listdir(tmp_path) == ["folder.json"]


def test_saving_into_a_missing_folder_fails(doc, tmp_path):
    with pytest.raises(DocumentError, match="^cannot save: "):
        save_document(doc, tmp_path / "missing" / "net.json")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("view", [{"zoom": math.inf}, {"zoom": math.nan}, {"title": "\udc80"}])
def test_a_document_that_cannot_be_written_as_json_fails_with_document_error(doc, existing, view):
    """A view built in memory (not loaded) with a value JSON or UTF-8 cannot hold: DocumentError, file intact."""
    doc.view = view
    with pytest.raises(DocumentError, match="^cannot save: "):
        save_document(doc, existing)
    _assert_untouched(existing)


def test_atomic_write_reraises_and_cleans_up_on_keyboard_interrupt(existing, monkeypatch):
    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        document_module.atomic_write_bytes(existing, b"new")
    _assert_untouched(existing)


def test_training_config_defaults_round_trip():
    cfg = TrainingConfig(optimizer="adam", hyperparameters={"beta2": 0.99})
    assert cfg.hyper_for_optimizer() == {"beta1": 0.9, "beta2": 0.99, "eps": 1e-8}
    net = layered([2, 1])
    doc = Document(net, GeneratorData("xor", n=10), cfg, {"a": [1, 2.5]})
    assert parse_document(doc.to_json()) == doc


def test_a_named_pipe_or_a_nul_in_the_path_is_refused_at_once(tmp_path):
    import os

    from bpgui.core import DocumentError, load_document

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(DocumentError, match="pipe"):
        load_document(fifo)  # before the fix this blocked forever waiting for a writer
    with pytest.raises(DocumentError, match="not a valid file name"):
        load_document(str(tmp_path / "a\0b.json"))
