# jump_diffusion.py
from dmm.processes import Process, Diffusion, Jumps, GaussianJumps
from dmm.spaces import Euclidean
def make(data):
    return Process(Euclidean(data.shape[1]), blocks=(
        Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: 1.0),
        Jumps(rate=lambda t: 2.0, law=GaussianJumps(data.shape[1], 0.8))))
