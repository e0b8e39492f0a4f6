"""``python -m tokforge ...`` (and ``accelerate launch -m tokforge heal ...``): the command line."""

import sys

from tokforge_cli.main import main

if __name__ == "__main__":
    sys.exit(main())
