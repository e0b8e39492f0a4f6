"""tokforge benchmarks: one script per claim, each writing ``bench/results/NAME.json``.

``python -m bench list`` shows them, ``python -m bench NAME [NAME ...]`` runs some,
``python -m bench all`` rebuilds every results file (see ``bench/README.md`` for what each costs).
"""
