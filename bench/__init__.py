"""flowkit's benchmarks: each runs its baselines (hand-written numpy, plain torch) in the same run.

Run them as scripts (``python bench/tutorial_step.py``) or modules
(``python -m bench.tutorial_step``); see bench/README.md. Nothing here is imported by flowkit or
its tests, and no test asserts on a timing.
"""
