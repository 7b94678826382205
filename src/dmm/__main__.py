"""``python -m dmm``: the ``dmm`` command."""

import sys

from dmm.cli.main import main

sys.exit(main())
