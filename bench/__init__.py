"""Benchmarks: ``python -m bench NAME [options]``, one module ``bench/<NAME>.py`` each.

Every benchmark measures a baseline in the same run and prints its figures next to it as
ratios, so results read the same on any machine. A module's ``main(argv) -> int`` returns
non-zero when its targets are missed.
"""
