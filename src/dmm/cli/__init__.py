"""The ``dmm`` command line (see :mod:`dmm.cli.main`)."""
