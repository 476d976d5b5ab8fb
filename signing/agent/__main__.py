"""``python -m signing.agent``: run the signing agent's command line."""

import sys

from signing.agent.cli import main

if __name__ == "__main__":
    sys.exit(main())
