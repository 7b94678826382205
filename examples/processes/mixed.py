# mixed.py  (columns 0-1 real, column 2 an integer in 0..4)
from dmm.processes import VP, AbsorbingChain, product
def make(data):
    return product(VP(2), AbsorbingChain(S=5, d=1))
