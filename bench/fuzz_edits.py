"""Soak test of editing: tests/test_edit_fuzz.py's fuzzer run long.

    python bench/fuzz_edits.py                  # 5,000 seeded steps and 20 hypothesis runs of 100 steps, ~10 s
    python bench/fuzz_edits.py --steps 1000 --hypothesis 0      # the seeded loop only

Two phases, on the bundled examples in turn:

* a seeded loop: episodes of ``--episode`` steps, each on a fresh document; a step is one action (a network edit,
  a few training steps, undos, redos, undos then redos, or a save) drawn with fixed weights by
  ``random.Random(f"{seed}:{episode}")``, then every invariant; an episode ends by undoing all (the starting state)
  and redoing all;
* ``--hypothesis N`` runs of the hypothesis state machine with up to ``--hypothesis-steps`` steps each (hypothesis
  picks the actions; a failure is shrunk and printed).

Prints the steps run, edits accepted, refused and no-op per kind, undo and redo counts, training, exceptions and
the wall time. An exception (a broken invariant included) ends its episode; the traceback, the episode's last
actions and the command that replays it are printed. Exit status: 0, or 1 if there was any exception.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path
from random import Random

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from test_edit_fuzz import EDITS, EXAMPLES, EditFuzz, EditMachine, RandomChooser  # noqa: E402

#: how often the seeded loop picks each action (relative)
WEIGHTS = {
    "add_neuron": 6, "remove_neuron": 4, "rename_neuron": 3, "add_edge": 6, "remove_edge": 4, "set_weight": 8,
    "set_bias": 6, "set_activation": 4, "set_loss": 3, "add_layer": 2, "remove_layer": 2, "move_neuron": 3,
    "reset_weights": 1, "compound": 3, "spin_box": 3, "train": 20, "undo": 8, "redo": 4, "back_and_forth": 6, "save": 3,
}


def seeded_episode(seed: int, episode: int, steps: int, totals: Counter) -> str | None:
    """One episode; returns None, or a report of the exception that ended it."""
    rng = Random(f"{seed}:{episode}")
    example = EXAMPLES[episode % len(EXAMPLES)]
    fuzz = EditFuzz(example)
    chooser = RandomChooser(rng)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    try:
        fuzz.check()
        for _ in range(steps):
            fuzz.act(rng.choices(names, weights)[0], chooser)
            fuzz.check()
        fuzz.finish()
        return None
    except Exception:
        last = "\n".join(f"    {line}" for line in fuzz.log[-15:])
        return (f"episode {episode} ({example}), step {len(fuzz.log)}:\n{traceback.format_exc()}"
                f"  the last actions:\n{last}\n"
                f"  replay: python bench/fuzz_edits.py --seed {seed} --first {episode} --episodes 1 "
                f"--episode {steps} --hypothesis 0")
    finally:
        totals.update(fuzz.stats)


def report(totals: Counter, exceptions: int, seconds: float, title: str) -> None:
    steps = totals["steps"]
    print(f"\n== {title}: {steps:,} steps in {seconds:.1f} s ({steps / max(seconds, 1e-9):,.0f} steps/s), "
          f"exceptions: {exceptions}")
    print(f"{'edit':16} {'tried':>6} {'accepted':>9} {'refused':>8} {'no-op':>6}")
    for name in EDITS:
        print(f"{name:16} {totals[f'tried {name}']:6,} {totals[f'accepted {name}']:9,} "
              f"{totals[f'refused {name}']:8,} {totals[f'no-op {name}']:6,}")
    edits = sum(totals[f"tried {n}"] for n in EDITS)
    accepted = sum(totals[f"accepted {n}"] for n in EDITS)
    refused = sum(totals[f"refused {n}"] for n in EDITS)
    print(f"{'all edits':16} {edits:6,} {accepted:9,} {refused:8,} {edits - accepted - refused:6,}"
          f"   (set_weight and set_bias include {totals['action spin_box']:,} spin-box runs)")
    print(f"undo steps: {totals['undo steps pushed']:,} pushed, {totals['undo steps merged']:,} merged into the top "
          f"(spin boxes, training), {totals['undo steps merged back']:,} merged back to where the top began (dropped)")
    print(f"undo {totals['undo']:,} (+{totals['undo at the bottom']:,} with nothing to undo), "
          f"redo {totals['redo']:,} (+{totals['redo at the top']:,} with nothing to redo), saves {totals['save']:,}")
    print(f"training: {totals['action train']:,} actions, {totals['training steps']:,} steps, "
          f"{totals['training applied']:,} written in, {totals['training diverged']:,} diverged, "
          f"{totals['training blocked (data does not fit)']:,} blocked because the data did not fit")
    print(f"losses checked: {totals['finite losses']:,} finite, {totals['non-finite losses']:,} not finite")
    if totals["max undo depth"]:
        print(f"deepest undo stack undone at the end of a run: {totals['max undo depth']:,}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5000, help="seeded steps in all (default 5000)")
    ap.add_argument("--episode", type=int, default=250, help="steps per seeded episode (default 250)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first", type=int, default=0, help="the first episode's number (to replay one)")
    ap.add_argument("--episodes", type=int, default=None, help="run this many episodes instead of --steps")
    ap.add_argument("--hypothesis", type=int, default=20, help="hypothesis runs (default 20; 0: none)")
    ap.add_argument("--hypothesis-steps", type=int, default=100, help="most steps per hypothesis run")
    args = ap.parse_args(argv)
    QApplication.instance() or QApplication([])
    warnings.simplefilter("ignore", RuntimeWarning)  # overflow in huge weights is part of the test
    np.seterr(all="ignore")

    episodes = args.episodes if args.episodes is not None else -(-args.steps // args.episode)
    totals, exceptions = Counter(), 0
    EditFuzz.totals.clear()
    t0 = time.perf_counter()
    for episode in range(args.first, args.first + episodes):
        problem = seeded_episode(args.seed, episode, args.episode, totals)
        if problem:
            exceptions += 1
            print(problem, file=sys.stderr)
    totals["max undo depth"] = EditFuzz.totals["max undo depth"]
    report(totals, exceptions, time.perf_counter() - t0,
           f"seeded loop (seed {args.seed}, {episodes} episodes of {args.episode} steps)")

    failed = 0
    if args.hypothesis:
        EditFuzz.totals.clear()
        t0 = time.perf_counter()
        try:
            run_state_machine_as_test(EditMachine, settings=settings(
                max_examples=args.hypothesis, stateful_step_count=args.hypothesis_steps, deadline=None,
                database=None, suppress_health_check=list(HealthCheck)))
        except BaseException:  # a failure, shrunk and printed by hypothesis
            failed = 1
            traceback.print_exc()
        report(EditFuzz.totals, failed, time.perf_counter() - t0,
               f"hypothesis ({args.hypothesis} runs of up to {args.hypothesis_steps} steps)")
    return 1 if exceptions or failed else 0


if __name__ == "__main__":
    sys.exit(main())
