"""Mixed-type tables: real, positive, integer and categorical columns with empty cells, learnt
by a product of forward processes (one per column type) with one network.

* :mod:`.schema`: column types, inferred from the data or declared;
* :mod:`.codec`: a table as rows of a product space and the product process;
* :mod:`.io`: ``.csv``/``.parquet`` in and out;
* :mod:`.model`: :class:`TabularModel` (``fit`` / ``sample`` / ``impute`` / ``save`` / ``load``);
* :mod:`.metrics` and :mod:`.plots`: how a synthetic table compares with held-out rows;
* :mod:`.datasets`: built-in tables.
"""

from .codec import TableCodec
from .io import read_table, write_table
from .model import TabularModel
from .schema import TYPES, Column, Schema, infer_schema, read_schema_file

__all__ = [
    "TYPES",
    "Column",
    "Schema",
    "TableCodec",
    "TabularModel",
    "infer_schema",
    "read_schema_file",
    "read_table",
    "write_table",
]
